# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: which running process is the component, and does it run with the new flags.

After a static pod manifest or a unit changes, the kubelet or systemd stops the old process and starts a
new one; the new one is told apart by its pid and recognised by its command line, before its health
endpoint is asked. Pure functions over ``(pid, argv)`` pairs, standard library only.
"""

from __future__ import annotations


def flag_word(name: str, value) -> str:
    """``--name=value`` as a command line carries it (booleans as true/false)."""
    if isinstance(value, bool):
        value = 'true' if value else 'false'
    return '--%s=%s' % (name.lstrip('-'), value)


def runs_with(argv, flags: dict) -> bool:
    """True when ``argv`` has every flag of ``flags`` at its value, and none of those whose value is None."""
    names = {word.split('=', 1)[0] for word in argv if word.startswith('--')}
    for name, value in (flags or {}).items():
        if value is None:
            if '--' + name.lstrip('-') in names:
                return False
        elif flag_word(name, value) not in argv:
            return False
    return True


def new_matching(processes, flags: dict, old_pids=()) -> list:
    """The pids of ``processes`` ((pid, argv) pairs) that were not among ``old_pids`` and run with ``flags``."""
    old = {str(pid) for pid in old_pids or ()}
    return [pid for pid, argv in processes if str(pid) not in old and argv and runs_with(argv, flags)]


def describe(processes, limit: int = 300) -> str:
    """The processes as ``pid argv...; ...``, shortened, for a message."""
    text = '; '.join('%s %s' % (pid, ' '.join(argv)) for pid, argv in processes) or 'none running'
    return text if len(text) <= limit else text[:limit - 3] + '...'
