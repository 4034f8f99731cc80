# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: minimal edits of a YAML file written as JSON.

JSON is YAML, but a YAML library writes it back as flow-style YAML on one line.
A file that is JSON (cloud node images write the kubelet's config that way) is
edited as JSON: its indentation, separators and one-line arrays or objects are
read from the file, the document is written in that layout before and after the
change, and only the lines that differ are carried onto the file (_splice).
"""

from __future__ import annotations

import json
import re

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._keypath import render
from ansible_collections.kubetrace.tracing.plugins.module_utils._splice import refusal, splice
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import first_difference, is_list, is_mapping, same

_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]]')
_KEY_SEPARATOR = re.compile(r'"(?:[^"\\\n]|\\.)*"([ \t]*):([ \t]*)')
_INLINE_COMMA = re.compile(r',([ \t]*)[^\s]')


def _object(pairs):
    result = {}
    for key, value in pairs:
        if key in result:
            raise EditError('has the key "%s" twice in one object; JSON readers keep only the last one: remove '
                            'the other and run again' % key)
        result[key] = value
    return result


def load(text: str):
    """The data of ``text`` when it is a JSON object or array, else None (read it as YAML)."""
    if text.lstrip()[:1] not in ('{', '['):
        return None
    try:
        return json.loads(text, object_pairs_hook=_object)
    except ValueError:
        return None


class Layout:
    """How the file writes JSON: indentation, separators, which containers stay on one line."""

    def __init__(self, text: str, data):
        lines = text.splitlines()
        self.indent = next((line[:len(line) - len(line.lstrip())] for line in lines[1:]
                            if line.strip() and line[:1] in ' \t'), '  ')
        found = _KEY_SEPARATOR.search(text)
        self.key_separator = found.group(1) + ':' + found.group(2) if found else ': '
        found = _INLINE_COMMA.search(text)
        self.item_separator = ',' + found.group(1) if found else ', '
        self.ascii = text.isascii()
        self.newline = '\r\n' if '\r\n' in text else '\n'
        self.end = text[len(text.rstrip()):]
        self.inline = set()
        self.kept = []  # the containers, so that no id is reused while the layout lives
        spans = []
        stack = []
        for match in _BRACKETS.finditer(text):
            token = match.group()
            if token in '{[':
                stack.append(len(spans))
                spans.append([match.start(), None])
            elif token in '}]':
                spans[stack.pop()][1] = match.end()
        containers = []
        self._containers(data, containers)
        for container, (start, stop) in zip(containers, spans):
            self.kept.append(container)
            if '\n' not in text[start:stop]:
                self.inline.add(id(container))

    def _containers(self, value, found: list):
        """Containers in the order their brackets open in the text."""
        if is_mapping(value) or is_list(value):
            found.append(value)
            for item in value.values() if is_mapping(value) else value:
                self._containers(item, found)

    def render(self, value, depth: int = 0, inline: bool = False) -> str:
        if is_mapping(value) or is_list(value):
            inline = inline or id(value) in self.inline
            pairs = is_mapping(value)
            opening, closing = ('{', '}') if pairs else ('[', ']')
            if not value:
                return opening + closing
            items = [(self.scalar(str(key)) + self.key_separator if pairs else '')
                     + self.render(item, depth + 1, inline)
                     for key, item in (value.items() if pairs else ((None, item) for item in value))]
            if inline:
                return opening + self.item_separator.join(items) + closing
            inner = self.newline + self.indent * (depth + 1)
            return opening + inner + (',' + inner).join(items) + self.newline + self.indent * depth + closing
        return self.scalar(value)

    def scalar(self, value) -> str:
        try:
            return json.dumps(value, ensure_ascii=self.ascii, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise EditError('the edit puts %r in a JSON file, which JSON cannot hold (%s); give a string, '
                            'number, boolean, list or mapping' % (value, exc)) from None

    def text(self, data) -> str:
        return self.render(data) + self.end


def edit(text: str, change, data=None) -> str:
    """``text`` (JSON) after ``change(document, dry_run) -> bool``, only changed lines rewritten.

    ``data`` is what load(text) gave, when the caller has it already.
    """
    data = load(text) if data is None else data
    if data is None:
        raise EditError('is not a JSON object or array')
    if not change(data, True):
        return text
    layout = Layout(text, data)
    normalized = layout.text(data)
    change(data, False)
    edited = layout.text(data)
    if normalized == text:
        return edited
    merged = splice(text, normalized, edited)
    if merged is not None and same(json.loads(merged), data):
        return merged
    raise refusal('the JSON writer', 'with one value to a line, or a whole list or object on one line',
                  (text, normalized, edited), render(first_difference(load(text), data) or ()),
                  'the change falls on lines laid out another way')
