# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: minimal edits of TOML text (controller side, tomlkit).

tomlkit keeps every byte it does not change, so an edit is parse, change,
render. Types are kept: a float stays a float, a literal string stays literal,
and a changed value keeps its line's comment.
"""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import Style

try:
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError
    from tomlkit.items import Item, String
    HAS_TOMLKIT = True
except ImportError:  # reported by the action plugin with what to install
    HAS_TOMLKIT = False


class TomlStyle(Style):
    def __init__(self):
        self.created = []

    def new_mapping(self):
        table = tomlkit.table()
        self.created.append(table)
        return table

    def plain(self, value):
        return value.unwrap() if hasattr(value, 'unwrap') else value

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
    STYLE.created = []
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
