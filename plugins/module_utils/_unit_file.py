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
from ansible_collections.kubetrace.tracing.plugins.module_utils._static_pod import (
    _gate_values,
    flag_text,
    merge_feature_gates,
    parse_feature_gates,
)

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


def with_feature_gates(argv, feature_gates: dict, where: str = 'ExecStart') -> list:
    """argv with ``feature_gates`` (gate -> bool, None removes) merged into its --feature-gates (other gates and
    their order kept; the flag goes when no gate is left)."""
    wanted = _gate_values(feature_gates)
    if not wanted:
        return list(argv)
    current = [word.partition('=')[2] for word in argv if word.startswith('--feature-gates=')]
    if len(current) > 1:
        raise EditError('%s has --feature-gates %d times; keep one and run again' % (where, len(current)))
    gates = merge_feature_gates(parse_feature_gates(current[0], where) if current and current[0] else [], wanted)
    return with_flags(argv, {'feature-gates': ','.join('%s=%s' % gate for gate in gates) if gates else None})


def command_line(argv) -> str:
    """argv as one ExecStart= value, a word per line, quoted where systemd would split it."""
    words = [word if _SAFE.match(word) else '"%s"' % word.replace('\\', '\\\\').replace('"', '\\"')
             for word in argv]
    return ' \\\n    '.join(words)


def effective_exec_start(files) -> list:
    """The command line systemd runs for a unit made of ``files`` ((path, text) pairs: the unit file, then its
    drop-ins in the order systemd reads them): the last ExecStart=, where an empty ExecStart= resets the list."""
    words, seen = [], []
    for path, text in files:
        if text is None:
            continue
        section = None
        for line in _logical_lines(text):
            if line.startswith('['):
                section = line
                continue
            key, sep, value = line.partition('=')
            if section != '[Service]' or not sep or key.strip() != 'ExecStart':
                continue
            value = value.strip().lstrip('@-:+!')
            if not value:
                words = []
                continue
            try:
                words = shlex.split(value)
            except ValueError as exc:
                raise EditError('%s: ExecStart does not parse (%s)' % (path, exc)) from None
        seen.append(path)
    if not words:
        raise EditError('no ExecStart in the [Service] section of %s; is it the unit that runs the program?'
                        % (', '.join(seen) or 'the unit (none of its files could be read)'))
    return words


MARK = '# Written by kubetrace.tracing'


def dropin_text(comment: str, argv=None, environment=None, unset_environment=()) -> str:
    """A [Service] drop-in: variables taken out and set, and ExecStart replaced by ``argv`` when given."""
    lines = [MARK + ('; ' + comment if comment else '') + '.',
             '# playbooks/disable.yml removes this file; run site.yml again after changing the unit.',
             '[Service]']
    lines += ['UnsetEnvironment=%s' % name for name in unset_environment or ()]
    for name, value in (environment or {}).items():
        if not re.match(r'^[A-Za-z_][A-Za-z0-9_]*$', str(name)):
            raise EditError('environment: %r is not a variable name' % (name,))
        text = 'true' if value is True else 'false' if value is False else str(value)
        lines.append('Environment="%s=%s"' % (name, text.replace('\\', '\\\\').replace('"', '\\"')))
    if argv:
        lines += ['ExecStart=', 'ExecStart=' + command_line(argv)]
    return '\n'.join(lines) + '\n'


def written_by_us(text) -> bool:
    """True for a drop-in this collection wrote (now, or before it kept records)."""
    return bool(text) and 'kubetrace.tracing' in '\n'.join(text.splitlines()[:4])
