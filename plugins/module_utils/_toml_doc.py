# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: minimal edits of TOML text (controller side, tomlkit).

tomlkit keeps every byte it does not change, so an edit is parse, change,
render. Types are kept: a float stays a float, a literal string stays literal,
and a changed value keeps its line's comment.

What the edit adds follows the file: a new table is indented like the tables
beside it, a new key like the keys of its table (containerd 1.x indents nested
tables by 2 and their keys by 4), and where the file quotes keys and strings
with single quotes (containerd 2.x), new ones are quoted that way too.
"""

from __future__ import annotations

import re

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import Style

try:
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError
    from tomlkit.items import AoT, Item, KeyType, SingleKey, String, StringType, Table
    HAS_TOMLKIT = True
except ImportError:  # reported by the action plugin with what to install
    HAS_TOMLKIT = False


_HEADER = re.compile(r'^[ \t]*\[[^\n]*', re.MULTILINE)
_BARE_KEY = re.compile(r'^[A-Za-z0-9_-]+$')
_LITERAL_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f']")


def _spaces(indent: str) -> str:
    """The indentation of an item's own line (tomlkit may keep blank lines before a table in it)."""
    return indent[indent.rfind('\n') + 1:]


def _body(container) -> list:
    if isinstance(container, Table):
        return container.value.body
    return getattr(container, 'body', [])


class TomlStyle(Style):
    def __init__(self):
        self.created = []
        self.literal_keys = self.literal_strings = False
        self.document = None
        self._steps = None
        self._placed = set()

    def begin(self, text: str, document) -> None:
        """Learn, per edit, how the file quotes keys and strings."""
        self.created = []
        self.document = document
        self._steps = None
        self._placed = set()
        headers = ''.join(_HEADER.findall(text))
        self.literal_keys = headers.count("'") > headers.count('"')
        self.literal_strings = len(re.findall(r"=[ \t]*'", text)) > len(re.findall(r'=[ \t]*"', text))

    def new_mapping(self):
        table = tomlkit.table()
        self.created.append(table)
        return table

    def plain(self, value):
        return value.unwrap() if hasattr(value, 'unwrap') else value

    def convert(self, value):
        if isinstance(value, str) and self.literal_strings and not _LITERAL_UNSAFE.search(value):
            return String.from_raw(value, type_=StringType.SLL)
        if isinstance(value, dict):
            return {key: self.convert(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.convert(item) for item in value]
        return value

    def keep_form(self, old, new):
        if not isinstance(old, Item):
            return new
        if isinstance(old, String) and isinstance(new, str):
            try:
                item = String.from_raw(new, type_=old.type)
            except (TOMLKitError, ValueError):  # a literal string cannot hold every character
                item = tomlkit.item(new)
        else:
            item = tomlkit.item(new)
        for field in ('indent', 'comment_ws', 'comment', 'trail'):
            setattr(item.trivia, field, getattr(old.trivia, field))
        return item

    def put(self, container, name, value):
        key = name
        if self.literal_keys and not _BARE_KEY.match(name) and not _LITERAL_UNSAFE.search(name):
            key = SingleKey(name, t=KeyType.Literal)
        container[key] = value
        # tomlkit gives a new item its table's header indentation; give it that of its neighbours
        placed = next((item for item_key, item in reversed(_body(container)) if item_key == name), None)
        self._placed.add(id(placed))
        if isinstance(placed, Table):
            if not any(table is placed for table in self.created):  # a mapping value becomes a table too
                self.created.append(placed)
            siblings = [item for _key, item in _body(container) if isinstance(item, Table) and item is not placed]
            if siblings:
                indent = _spaces(siblings[-1].trivia.indent)
            else:
                indent = self._header_indent(container) + ' ' * self.steps()[1] if isinstance(container, Table) else ''
            self._indent_table(placed, indent)
        elif isinstance(placed, Item) and not isinstance(placed, AoT):
            placed.trivia.indent = self._key_indent(container, placed)

    def _indent_table(self, table, indent: str) -> None:
        """A new table's header at ``indent``, and what it holds (new too) by the file's steps below it."""
        table.trivia.indent = table.trivia.indent[:table.trivia.indent.rfind('\n') + 1] + indent
        for key, item in _body(table):
            self._placed.add(id(item))
            if isinstance(item, Table):
                self._indent_table(item, indent + ' ' * self.steps()[1])
            elif key is not None and isinstance(item, Item) and not isinstance(item, AoT):
                item.trivia.indent = indent + ' ' * self.steps()[0]

    def _header_indent(self, table) -> str:
        return _spaces(table.trivia.indent) if isinstance(table, Table) else ''

    def _key_indent(self, container, placed) -> str:
        for _key, item in _body(container):
            if _key is not None and item is not placed and not isinstance(item, (Table, AoT)):
                return _spaces(item.trivia.indent)
        if not isinstance(container, Table):
            return ''
        return self._header_indent(container) + ' ' * self.steps()[0]

    def steps(self) -> tuple:
        """(key indent under its header, table indent under its parent's) as the file has them."""
        if self._steps is None:
            key_step = table_step = None
            stack = [(self.document, None)]
            while stack and (key_step is None or table_step is None):
                container, header = stack.pop()
                for key, item in _body(container):
                    if id(item) in self._placed:  # learn the file's steps from its own lines only
                        continue
                    if isinstance(item, Table):
                        if header is not None and table_step is None and not item.is_super_table():
                            table_step = len(_spaces(item.trivia.indent)) - len(header)
                        stack.append((item, None if item.is_super_table() else _spaces(item.trivia.indent)))
                    elif key is not None and header is not None and key_step is None \
                            and not isinstance(item, AoT):
                        key_step = len(_spaces(item.trivia.indent)) - len(header)
            self._steps = (max(key_step or 0, 0), max(table_step or 0, 0))
        return self._steps


STYLE = TomlStyle() if HAS_TOMLKIT else None


def parse(text: str):
    """The tomlkit document of ``text``; EditError naming line and column if it is not TOML."""
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise EditError('not valid TOML at line %d column %d: %s; fix the file (or restore it from '
                        'its backup) and run again' % (exc.line, exc.col, str(exc).split(' at line ', maxsplit=1)[0])) from None
    except TOMLKitError as exc:
        raise EditError('not valid TOML: %s; fix the file and run again' % exc) from None


def edit(text: str, change) -> str:
    """``text`` after ``change(document, dry_run) -> bool``."""
    document = parse(text)
    if not change(document, True):
        return text
    STYLE.begin(text, document)
    change(document, False)
    if STYLE.created:  # tomlkit separates the tables it adds, but not the last from what follows it
        STYLE.created[-1].add(tomlkit.nl())
    try:
        edited = document.as_string()
    except TOMLKitError as exc:
        raise EditError('the edit does not make valid TOML: %s' % exc) from None
    if edited.endswith('\n\n') and not text.endswith('\n\n'):
        # tomlkit separates tables with a blank line, even after the last one, and keeps the separator
        # of a table that is taken out: an edit never leaves new blank lines at the end of the file
        edited = edited.rstrip('\n') + '\n'
    return edited
