# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the command line of a systemd unit, and flags changed on it.

A component that runs as a systemd unit with its flags on ExecStart (kube-apiserver the hard way)
gets its tracing flags through a drop-in that repeats ExecStart with them. The command line is read
from the unit file itself, not from what systemd shows, so that the drop-in never feeds on itself.
"""

from __future__ import annotations

import re
import shlex

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._static_pod import flag_text

_SAFE = re.compile(r'^[A-Za-z0-9_@%+=:,./-]+$')


def _logical_lines(text: str):
    line = ''
    for raw in (text or '').splitlines():
        stripped = raw.strip()
        if not line and stripped.startswith(('#', ';')):
            continue
        if stripped.endswith('\\'):
            line += stripped[:-1] + ' '
            continue
        yield line + stripped
        line = ''
    if line:
        yield line


def exec_start(text: str, where: str = 'the unit') -> list:
    """The words of the last ExecStart= of the [Service] section (an empty ExecStart= resets it)."""
    section, words = None, []
    for line in _logical_lines(text):
        if line.startswith('['):
            section = line
            continue
        key, sep, value = line.partition('=')
        if section == '[Service]' and sep and key.strip() == 'ExecStart':
            value = value.strip().lstrip('@-:+!')
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise EditError('%s: ExecStart does not parse (%s)' % (where, exc)) from None
    if not words:
        raise EditError('%s has no ExecStart in its [Service] section; is it the unit that runs the program?' % where)
    return words


def with_flags(argv, flags: dict) -> list:
    """argv with each ``--name=value`` of flags set in place (or added at the end); None removes it."""
    result = list(argv)
    for name, value in (flags or {}).items():
        name = name.lstrip('-')
        matches = [pos for pos, word in enumerate(result) if word == '--' + name or word.startswith('--%s=' % name)]
        if any(result[pos] == '--' + name for pos in matches):
            raise EditError('--%s is given as two words on the command line; write it as --%s=VALUE first'
                            % (name, name))
        if value is None:
            result = [word for pos, word in enumerate(result) if pos not in matches]
        elif matches:
            result[matches[0]] = flag_text(name, value)
            result = [word for pos, word in enumerate(result) if pos not in matches[1:]]
        else:
            result.append(flag_text(name, value))
    return result


def command_line(argv) -> str:
    """argv as one ExecStart= value, a word per line, quoted where systemd would split it."""
    words = [word if _SAFE.match(word) else '"%s"' % word.replace('\\', '\\\\').replace('"', '\\"')
             for word in argv]
    return ' \\\n    '.join(words)
