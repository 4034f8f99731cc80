# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: carry an edit onto YAML text from the parsed nodes' marks.

ruamel.yaml records the line and column where every key, value and list item
starts. ``snapshot`` notes what each mapping and list of a document holds
before a change; ``patch`` compares the changed document with that note and
rewrites only the lines of what changed: a scalar in place (a comment after it
stays in its column), a new key or item rendered on its own in the file's
indentation, a removed one cut out. Nothing else of the document is rendered,
which is what keeps an edit of a large file cheap.

A change inside a one-line flow collection (``{}``, ``[a, b]``), or one that
empties or fills a collection, rewrites that collection's entry. Where the
layout is beyond it (multi-line flow collections, comments on such an entry,
anchors and aliases, a key that shares its line with a list dash) ``patch``
raises Unplaceable and the caller renders the whole document instead.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from ansible_collections.kubetrace.tracing.plugins.module_utils._keypath import Index, Key, render
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import is_list, is_mapping


class Unplaceable(Exception):
    """The change cannot be written from the marks; ``where`` is the key path it reached ('' for the document)."""

    def __init__(self, where, why: str):
        self.where = render(where) if where else ''
        self.why = why
        super().__init__('%s: %s' % (self.where or 'the document', why))


class _Whole(Unplaceable):
    """The change is inside a flow collection or empties or fills one: write its whole entry anew."""


def _container(value) -> bool:
    if isinstance(value, (str, int, float)) or value is None:  # most values: no ABC check for them
        return False
    return is_mapping(value) or is_list(value)


def _flow(node) -> bool:
    attribute = getattr(node, 'fa', None)
    return bool(attribute is not None and attribute.flow_style())


def snapshot(document) -> dict:
    """What every container of ``document`` holds, by id: (container, entries, marks, flow).

    The containers are kept referenced, so no id is reused while the note lives.
    Raises Unplaceable when a container is reached twice (an alias) or merges another.
    """
    notes = {}
    stack = [document]
    while stack:
        node = stack.pop()
        if id(node) in notes:
            raise Unplaceable('', 'the document uses anchors and aliases')
        if getattr(node, 'merge', None):
            raise Unplaceable('', 'the document merges mappings with <<')
        lines = getattr(node, 'lc', None)
        marks = (lines.data if lines is not None else None) or {}  # set by the loader only, never by edits
        if is_mapping(node):
            entries = list(node.items())
            stack.extend(value for _key, value in entries if _container(value))
        else:
            entries = list(node)
            stack.extend(value for value in entries if _container(value))
        notes[id(node)] = (node, entries, marks, _flow(node))
    return notes


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(' '))


def _filler(line: str, column: int) -> bool:
    """A line that belongs to what follows rather than to the entry above it."""
    body = line.strip()
    if not body:
        return True
    if body.startswith('#'):
        return _indent(line) <= column
    return body in ('...', '---')


def _token_end(line: str, col: int):
    """Where the one-line scalar starting at ``col`` ends; None when it is not one."""
    if col >= len(line):
        return None
    first = line[col]
    if first == '"':
        pos = col + 1
        while pos < len(line):
            if line[pos] == '\\':
                pos += 2
            elif line[pos] == '"':
                return pos + 1
            else:
                pos += 1
        return None
    if first == "'":
        pos = col + 1
        while pos < len(line):
            if line[pos] == "'":
                if line[pos + 1:pos + 2] == "'":
                    pos += 2
                    continue
                return pos + 1
            pos += 1
        return None
    if first in '|>!&*[{#\r\n':
        return None
    body = line.rstrip('\r\n')
    for marker in (' #', '\t#'):
        found = body.find(marker, col)
        if found != -1:
            body = body[:found]
    end = len(body.rstrip(' \t'))
    return end if end > col else None


class _Container:
    """One mapping or list of the document, with its note and where it ends in the text."""

    def __init__(self, node, note, limit: int, where: tuple):
        self.node = node
        _old, self.entries, self.marks, self.flow = note
        self.mapping = is_mapping(node)
        self.limit = limit
        self.where = where

    def old_value(self, index):
        return self.entries[index][1] if self.mapping else self.entries[index]

    def key(self, index):
        return self.entries[index][0] if self.mapping else index

    def path(self, key) -> tuple:
        return self.where + ((Key(str(key)),) if self.mapping else (Index(key),))

    def mark(self, index):
        mark = self.marks.get(self.key(index))
        if not mark:
            raise Unplaceable(self.path(self.key(index)), 'the parser left no position for it')
        return mark

    def start(self, index) -> int:
        return self.mark(index)[0]

    def value_mark(self, index):
        mark = self.mark(index)
        return (mark[2], mark[3]) if self.mapping else (mark[0], mark[1])

    def entry_limit(self, index) -> int:
        return self.start(index + 1) if index + 1 < len(self.entries) else self.limit


def _lines(text: str) -> list:
    """The lines of ``text`` with their ends, split where YAML breaks lines (not at form feeds)."""
    lines = [line + '\n' for line in text.split('\n')]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


class _Patcher:
    def __init__(self, text: str, notes: dict, render):
        self.lines = _lines(text)
        self.newline = '\r\n' if self.lines and self.lines[0].endswith('\r\n') else '\n'
        self.notes = notes
        self.render = render
        self.ops = []

    # where entries begin and end

    def column(self, box: _Container, index: int, standalone: bool = True) -> int:
        """The column of the entry's key (mapping) or dash (list); Unplaceable when not alone on its line."""
        mark = box.mark(index)
        line = self.lines[mark[0]]
        if box.mapping:
            if line[:mark[1]].strip():
                if standalone:
                    raise Unplaceable(box.path(box.key(index)), 'it shares its line with a list dash')
            return mark[1]
        prefix = line[:mark[1]].rstrip(' ')
        if not prefix.endswith('-') or prefix[:-1].strip():
            raise Unplaceable(box.path(index), 'its list dash is not alone at the start of its line')
        return len(prefix) - 1

    def last_line(self, box: _Container, index: int) -> int:
        start = box.start(index)
        column = self.column(box, index, standalone=False)
        end = box.entry_limit(index) - 1
        while end > start and _filler(self.lines[end], column):
            end -= 1
        return end

    def sibling_column(self, box: _Container) -> int:
        for index in range(len(box.entries)):
            try:
                return self.column(box, index, standalone=not box.mapping)
            except Unplaceable:
                continue
        raise Unplaceable(box.where, 'no entry of it is alone on its line')

    # the edits

    def place(self, box: _Container, before: int) -> int:
        """The line new entries go on when they come before old entry ``before`` (or last)."""
        if before > 0:
            return self.last_line(box, before - 1) + 1
        if not box.entries:
            raise _Whole(box.where, 'it is empty, written in flow style')
        self.column(box, 0)
        return box.start(0)

    def span(self, box: _Container, first: int, stop: int) -> tuple:
        """The lines of old entries ``first`` to ``stop - 1``, as a slice."""
        self.column(box, first)
        return box.start(first), self.last_line(box, stop - 1) + 1

    def fragment(self, box: _Container, keys: list, values: list, whole: bool = False) -> list:
        for value in values:
            if (is_mapping(value) or is_list(value)) and id(value) in self.notes and not whole:
                raise Unplaceable(box.where, 'the edit moves an existing part of the document')
        lines = self.render(box.mapping, keys, values, self.sibling_column(box))
        if self.newline != '\n':
            lines = [line[:-1] + self.newline if line.endswith('\n') else line for line in lines]
        return lines

    def replace(self, box: _Container, index: int, value):
        old = box.old_value(index)
        scalars = not any(is_mapping(item) or is_list(item) or item is None for item in (old, value))
        if scalars and self.scalar(box, index, value):
            return
        start, stop = self.span(box, index, index + 1)
        self.ops.append((start, stop, self.fragment(box, [box.key(index)], [value])))

    def scalar(self, box: _Container, index: int, value) -> bool:
        """Rewrite a one-line scalar in place; False when it is not one."""
        line_no, col = box.value_mark(index)
        line = self.lines[line_no]
        end = _token_end(line, col)
        if end is None:
            return False
        if line[col] not in '"\'':
            column = self.column(box, index, standalone=False)
            for follow in range(line_no + 1, box.entry_limit(index)):
                text = self.lines[follow]
                if text.strip() and not text.lstrip().startswith('#'):
                    if _indent(text) > column:
                        return False  # a plain scalar that goes on below
                    break
        token = self.render(None, None, [value], 0)
        if token is None:
            return False
        rest = line[end:]
        after = rest.lstrip(' \t')
        if after.startswith('#'):
            gap = max(1, (end + len(rest) - len(after)) - (col + len(token)))
            rest = ' ' * gap + after
        self.ops.append((line_no, line_no + 1, [line[:col] + token + rest]))
        return True

    # the walk

    def compare(self, node, limit: int, where: tuple):
        note = self.notes.get(id(node))
        if note is None:
            raise Unplaceable(where, 'the edit replaced it')
        box = _Container(node, note, limit, where)
        if box.mapping:
            old_keys = [key for key, _value in box.entries]
            new_keys = list(node.keys())
            new_values = [node[key] for key in new_keys]
        else:
            old_keys = [id(value) for value in box.entries]
            new_values = list(node)
            new_keys = [id(value) for value in new_values]
        if old_keys != new_keys and box.flow:
            raise _Whole(where, 'it is written in flow style')
        if not new_keys:
            if old_keys:
                raise _Whole(where, 'the edit empties it')
            return
        if old_keys == new_keys:
            opcodes = [('equal', 0, len(old_keys), 0, len(new_keys))]
        else:
            opcodes = SequenceMatcher(None, old_keys, new_keys, autojunk=False).get_opcodes()
        for tag, i1, i2, j1, j2 in opcodes:
            if tag == 'equal' or (tag == 'replace' and not box.mapping and i2 - i1 == j2 - j1):
                for index, new in zip(range(i1, i2), range(j1, j2)):
                    self.entry(box, index, new_values[new])
                continue
            keys = new_keys[j1:j2] if box.mapping else []
            if i2 > i1:
                start, stop = self.span(box, i1, i2)
                self.ops.append((start, stop, self.fragment(box, keys, new_values[j1:j2]) if j2 > j1 else []))
            else:
                at = self.place(box, i1)
                self.ops.append((at, at, self.fragment(box, keys, new_values[j1:j2])))

    def entry(self, box: _Container, index: int, value):
        old = box.old_value(index)
        mark = len(self.ops)
        try:
            if old is value:
                if _container(value):
                    self.compare(value, box.entry_limit(index), box.path(box.key(index)))
                return
            if box.flow:
                raise _Whole(box.path(box.key(index)), 'it is written in flow style')
            self.replace(box, index, value)
        except _Whole as whole:
            if box.flow:
                raise
            del self.ops[mark:]  # what the walk wrote inside this entry goes with it
            self.whole(box, index, value, whole)

    def whole(self, box: _Container, index: int, value, reason: _Whole):
        """Write entry ``index`` anew, the collection it holds with it, when nothing else is on its lines."""
        start, stop = self.span(box, index, index + 1)
        emptied = not value and bool(self.notes.get(id(value), (None, ()))[1])
        if (stop - start > 1 and not emptied) or any('#' in line for line in self.lines[start:stop]):
            raise Unplaceable(reason.where, reason.why + ', on lines the edit would rewrite')
        self.ops.append((start, stop, self.fragment(box, [box.key(index)], [value], whole=True)))

    def result(self) -> str:
        ops = sorted(self.ops, key=lambda op: (op[0], op[1]))
        for before, after in zip(ops, ops[1:]):
            if after[0] < before[1]:
                raise Unplaceable('', 'two changes overlap')
        lines = self.lines
        for start, stop, new in reversed(ops):
            if new and start > 0 and not lines[start - 1].endswith('\n'):
                lines[start - 1] += self.newline
            lines[start:stop] = new
        return ''.join(lines)


def patch(text: str, notes: dict, document, render) -> str:
    """``text`` with the difference between ``notes`` (taken before the change) and ``document``.

    ``render(mapping, keys, values, column)`` gives the lines of new entries at ``column``
    (``mapping`` None: the one-line text of a scalar, or None when it takes more than one line).
    """
    patcher = _Patcher(text, notes, render)
    if not (is_mapping(document) or is_list(document)):
        raise Unplaceable('', 'the document is a single scalar')
    patcher.compare(document, len(patcher.lines), ())
    return patcher.result()
