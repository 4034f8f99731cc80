# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: minimal edits of YAML text (controller side, ruamel.yaml).

``edit(text, change)`` parses ``text`` with ruamel.yaml's round-trip loader,
asks ``change(document, dry_run)`` whether it would change anything (no
serialising when it would not), applies it, and returns new text in which
only the lines the change touched differ from ``text``. When the change
cannot be carried onto the file's own lines without rewriting others, the edit
fails and says how many lines that would be. A file that is JSON stays JSON
(_json_doc).
"""

from __future__ import annotations

import io
import re

from ansible_collections.kubetrace.tracing.plugins.module_utils import _json_doc
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._splice import refusal, splice
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import Style, same

try:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.comments import TaggedScalar
    from ruamel.yaml.scalarstring import ScalarString
    HAS_RUAMEL = True
except ImportError:  # reported by the action plugin with what to install
    HAS_RUAMEL = False

_KEY_LINE = re.compile(r'^(?P<dashes>(?:-[ ]+)*)(?P<key>[^#\s-][^#]*?|"[^"]*"|\'[^\']*\'):(?:\s|$)')
_NULL_WORD = re.compile(r'(?::|^\s*-)\s+null\s*(?:#.*)?$', re.MULTILINE)


class YamlStyle(Style):
    def new_mapping(self):
        return CommentedMap()

    def keep_form(self, old, new):
        if isinstance(old, ScalarString) and isinstance(new, str):
            return type(old)(new)
        return new


STYLE = YamlStyle() if HAS_RUAMEL else None


def guess_indent(text: str) -> tuple:
    """(mapping indent, block sequence dash offset) as the file writes them."""
    mapping = offset = None
    parent = None  # column of the last "key:" line whose value starts below it
    for line in text.splitlines():
        body = line.lstrip(' ')
        if not body or body.startswith('#') or body.startswith('---'):
            continue
        column = len(line) - len(body)
        if parent is not None and column > parent:
            if body.startswith('-') and offset is None:
                offset = column - parent
            elif not body.startswith('-') and mapping is None:
                mapping = column - parent
        if mapping is not None and offset is not None:
            break
        match = _KEY_LINE.match(body)
        if match and not body[match.end():].strip(' ').split('#')[0].strip():
            parent = column + len(match.group('dashes'))
        else:
            parent = None
    return mapping or 2, offset if offset is not None else 0


def _yaml_for(text: str):
    yaml = YAML(typ='rt')
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, offset = guess_indent(text)
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    yaml.explicit_start = any(line.rstrip() == '---' for line in text.splitlines()[:1]) or \
        text.lstrip().startswith('---')
    if _NULL_WORD.search(text):
        yaml.representer.add_representer(
            type(None), lambda rep, _data: rep.represent_scalar('tag:yaml.org,2002:null', 'null'))
    return yaml


def _load(yaml, text: str):
    try:
        documents = list(yaml.load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = ' at line %d column %d' % (mark.line + 1, mark.column + 1) if mark else ''
        raise EditError('not valid YAML%s: %s; fix the file (or restore it from its backup) and run again'
                        % (where, exc.problem or exc.context)) from None
    except YAMLError as exc:
        raise EditError('not valid YAML: %s; fix the file and run again' % exc) from None
    if len(documents) > 1:
        raise EditError('holds %d YAML documents; only files with one document can be edited'
                        % len(documents))
    return documents[0] if documents else None


def _dump(yaml, document) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def parse(text: str):
    """The round-trip document of ``text`` (None for an empty file); EditError if not YAML."""
    return _load(_yaml_for(text), text)


def _comparable(value):
    """A scalar as data that compares by value (ruamel.yaml's TaggedScalar compares by identity)."""
    if isinstance(value, TaggedScalar):
        return ('tagged', str(value.tag), value.value)
    return value


def reads_back(text: str, document) -> bool:
    """True when ``text`` holds exactly the data of ``document``."""
    try:
        return same(_load(_yaml_for(text), text), document, _comparable)
    except EditError:
        return False


def edit(text: str, change) -> str:
    """``text`` after ``change(document, dry_run) -> bool``, touching only what changed."""
    data = _json_doc.load(text)
    if data is not None:
        return _json_doc.edit(text, change, data)
    yaml = _yaml_for(text)
    document = _load(yaml, text)
    empty = document is None
    if empty:
        document = CommentedMap()
    if not change(document, True):
        return text
    normalized = '' if empty else _dump(yaml, document)
    change(document, False)
    edited = _dump(yaml, document)
    if empty:
        prefix = text if not text or text.endswith('\n') else text + '\n'
        return prefix + edited
    if normalized == text:
        return edited
    merged = splice(text, normalized, edited)
    if merged is not None and reads_back(merged, document):
        return merged
    raise refusal('the YAML library', 'in block style with single spaces, as it writes them', (text, normalized, edited),
                  'this edit', 'the change falls on lines the library writes another way')
