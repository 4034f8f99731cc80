# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Questions about the processes that run on a node, from ``pgrep -a`` (pid, then the command line)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.module_utils._static_pod import flag_text


def _lines(value) -> list:
    return value.splitlines() if isinstance(value, str) else list(value or [])


def runs_with_flags(lines, flags, before=None) -> bool:
    """True when one of the ``pgrep -a`` lines runs with every flag of ``flags`` set to its value,
    and without each flag whose value is None; with ``before`` (the ``pgrep -a`` lines from before a
    change), only a process that was not running then counts.

    After a static pod manifest changes, the kubelet stops the old container and starts a new
    one; the new one is recognised by its pid and command line, before its health endpoint is asked.
    """
    lines = _lines(lines)
    old_pids = {line.split()[0] for line in _lines(before) if line.split()}
    if not isinstance(flags, dict):
        raise AnsibleFilterError('runs_with_flags: flags must be a dict of flag name to value, not %r' % (flags,))
    for line in lines:
        if not str(line).split() or str(line).split()[0] in old_pids:
            continue
        words = str(line).split()[1:]
        names = {word.split('=', 1)[0] for word in words if word.startswith('--')}
        wanted = all((flag_text(name.lstrip('-'), value) in words) if value is not None
                     else ('--' + name.lstrip('-')) not in names
                     for name, value in flags.items())
        if words and wanted:
            return True
    return False


class FilterModule:
    """kubetrace.tracing.runs_with_flags."""

    def filters(self):
        return {'runs_with_flags': runs_with_flags}
