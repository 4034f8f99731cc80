# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the key path grammar shared by YAML and TOML edits.

A key path is dotted keys; a key holding dots or spaces goes in double quotes
(or single quotes, taken literally, as TOML writes them);
``[N]`` indexes a list; ``[field=value]`` selects the one list item whose
``field`` equals ``value`` (the value may be double-quoted).

    plugins."io.containerd.tracing.processor.v1.otlp".endpoint
    spec.containers[name=kube-apiserver].command[0]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError


@dataclass(frozen=True)
class Key:
    name: str

    def __str__(self) -> str:
        if _BARE_KEY.fullmatch(self.name):
            return self.name
        return '"%s"' % self.name.replace('\\', '\\\\').replace('"', '\\"')


@dataclass(frozen=True)
class Index:
    index: int

    def __str__(self) -> str:
        return '[%d]' % self.index


@dataclass(frozen=True)
class Select:
    field: str
    value: str

    def __str__(self) -> str:
        return '[%s=%s]' % (self.field, self.value)


Segment = Union[Key, Index, Select]

_BARE_KEY = re.compile(r'[A-Za-z0-9_\-/]+')
_BARE_CHARS = re.compile(r"[^.\"'\[\]=\s]+")


def render(segments) -> str:
    """The key path as a user would write it, for messages."""
    text = ''
    for segment in segments:
        if isinstance(segment, Key) and text:
            text += '.'
        text += str(segment)
    return text or '(document root)'


def _quoted(path: str, pos: int) -> tuple[str, int]:
    """Read a quoted string starting at ``pos`` (on the quote): "double" with \\ escapes, or 'single' as is."""
    if path[pos] == "'":
        end = path.find("'", pos + 1)
        if end < 0:
            raise EditError("key path %r: unterminated single quote; close it with '" % path)
        return path[pos + 1:end], end + 1
    out = []
    pos += 1
    while pos < len(path):
        char = path[pos]
        if char == '\\' and pos + 1 < len(path):
            out.append(path[pos + 1])
            pos += 2
            continue
        if char == '"':
            return ''.join(out), pos + 1
        out.append(char)
        pos += 1
    raise EditError('key path %r: unterminated double quote; close it with "' % path)


def _bracket(path: str, pos: int) -> tuple[Segment, int]:
    """Read ``[N]`` or ``[field=value]`` starting at ``pos`` (on the bracket)."""
    close = pos + 1
    if close < len(path) and path[close] != ']':
        match = re.compile(r'\s*(-?\d+)\s*\]').match(path, pos + 1)
        if match:
            return Index(int(match.group(1))), match.end()
        field_match = re.compile(r'\s*([^=\]\s]+)\s*=\s*').match(path, pos + 1)
        if field_match:
            field = field_match.group(1)
            vpos = field_match.end()
            if vpos < len(path) and path[vpos] == '"':
                value, vpos = _quoted(path, vpos)
            else:
                end = path.find(']', vpos)
                if end < 0:
                    vpos = len(path)
                    value = ''
                else:
                    value, vpos = path[vpos:end].strip(), end
            if vpos < len(path) and path[vpos] == ']' and value != '':
                return Select(field, value), vpos + 1
    raise EditError('key path %r: bad selector at character %d; write [N] for a list index '
                    'or [field=value] to pick a list item' % (path, pos + 1))


def parse(path: str) -> tuple:
    """Split a key path into Key, Index and Select segments."""
    if not isinstance(path, str) or not path.strip():
        raise EditError('key path %r is empty; give dotted keys such as spec.containers' % (path,))
    segments = []
    pos = 0
    expect_key = True
    while pos < len(path):
        char = path[pos]
        if char == '[':
            if not segments:
                raise EditError('key path %r starts with a selector; start with a key' % path)
            segment, pos = _bracket(path, pos)
            segments.append(segment)
            expect_key = False
            continue
        if char == '.':
            if expect_key:
                raise EditError('key path %r has an empty key at character %d; '
                                'remove the extra dot' % (path, pos + 1))
            expect_key = True
            pos += 1
            continue
        if not expect_key:
            raise EditError('key path %r: expected "." or "[" at character %d' % (path, pos + 1))
        if char in '"\'':
            name, pos = _quoted(path, pos)
        else:
            match = _BARE_CHARS.match(path, pos)
            if not match:
                raise EditError('key path %r: unexpected %r at character %d; put keys with dots, '
                                'spaces or brackets in double quotes' % (path, char, pos + 1))
            name, pos = match.group(0), match.end()
        segments.append(Key(name))
        expect_key = False
    if expect_key:
        raise EditError('key path %r ends with a dot; remove it' % path)
    return tuple(segments)
