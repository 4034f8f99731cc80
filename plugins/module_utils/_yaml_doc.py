# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: minimal edits of YAML text (controller side, ruamel.yaml).

``edit(text, change)`` parses ``text`` with ruamel.yaml's round-trip loader,
asks ``change(document, dry_run)`` whether it would change anything (no
serialising when it would not), applies it, and returns new text in which
only the lines the change touched differ from ``text``.

The lines come from the parsed nodes' marks (_yaml_patch): only new entries
are rendered, and the result is read back to prove it holds the edit. Where
the marks cannot place a change, the whole document is rendered and the change
carried back onto the file's lines (_splice); when even that would rewrite
lines the edit does not touch, the edit fails and says how many. A file that
is JSON stays JSON (_json_doc).
"""

from __future__ import annotations

import io
import re

from ansible_collections.kubetrace.tracing.plugins.module_utils import _json_doc, _yaml_patch
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._splice import refusal, splice
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import Style, same

try:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.scalarstring import ScalarString
    HAS_RUAMEL = True
except ImportError:  # reported by the action plugin with what to install
    HAS_RUAMEL = False

try:
    import yaml as pyyaml
    from yaml.constructor import SafeConstructor
    from yaml.resolver import BaseResolver
    from yaml._yaml import CParser  # pylint: disable=no-name-in-module
except ImportError:  # without libyaml every result is read back with ruamel.yaml, only slower
    CParser = None

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

if CParser is not None:
    class _Core12Resolver(BaseResolver):
        """YAML 1.2 core schema tags, as ruamel.yaml reads plain scalars (libyaml's own are YAML 1.1)."""

    for _tag, _pattern, _first in (
            ('bool', r'^(?:true|True|TRUE|false|False|FALSE)$', 'tTfF'),
            ('int', r'^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$', '-+0123456789'),
            ('float', r'^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?'
                      r'|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$', '-+.0123456789'),
            ('null', r'^(?:~|null|Null|NULL|)$', ['~', 'n', 'N', ''])):
        _Core12Resolver.add_implicit_resolver('tag:yaml.org,2002:' + _tag, re.compile(_pattern), list(_first))

    class _ReadBack(CParser, SafeConstructor, _Core12Resolver):  # pylint: disable=too-many-ancestors
        """libyaml's parser with YAML 1.2 tags: reads a result back in a small part of ruamel.yaml's time."""

        def __init__(self, stream):
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            _Core12Resolver.__init__(self)


def guess_indent(text: str) -> tuple:
    """(mapping indent, block sequence dash offset) as the file writes them."""
    mapping = offset = None
    parent = None  # column of the last "key:" line whose value starts below it
    for line in text.splitlines():
        body = line.lstrip(' ')
        if not body or body.startswith('#') or body.startswith('---'):
            continue
        column = len(line) - len(body)
        if parent is not None and column >= parent and body.startswith('-') and offset is None:
            offset = column - parent  # a dash at the key's own column is kubeadm's indentless list
        elif parent is not None and column > parent and not body.startswith('-') and mapping is None:
            mapping = column - parent
        if mapping is not None and offset is not None:
            break
        match = _KEY_LINE.match(body)
        if match and not body[match.end():].strip(' ').split('#')[0].strip():
            parent = column + len(match.group('dashes'))
        else:
            parent = None
    return mapping or 2, offset if offset is not None else 0


def _layout(text: str) -> tuple:
    """What _yaml_for reads from the file: (indentation, whether it writes null as a word)."""
    return guess_indent(text), bool(_NULL_WORD.search(text))


def _yaml_for(text: str, fragment: bool = False, layout=None):
    (mapping, offset), null_word = layout or _layout(text)
    yaml = YAML(typ='rt')
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    yaml.explicit_start = not fragment and text.lstrip().startswith('---')
    if null_word:
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


def renderer(text: str, layout=None):
    """render() for _yaml_patch: new entries in the file's own indentation, shifted to ``column``."""
    yaml = _yaml_for(text, fragment=True, layout=layout)

    def render(mapping, keys, values, column):
        if mapping is None:
            lines = _dump(yaml, CommentedSeq(values)).splitlines()
            body = lines[0].lstrip(' ') if len(lines) == 1 else ''
            return body[2:] if body.startswith('- ') else None
        lines = _dump(yaml, CommentedMap(zip(keys, values)) if mapping else CommentedSeq(values)).splitlines(True)
        shift = column - (len(lines[0]) - len(lines[0].lstrip(' ')))
        if shift >= 0:
            return [' ' * shift + line if line.strip() else line for line in lines]
        return [line[-shift:] if line.strip() else line for line in lines]
    return render


def reads_back(text: str, document) -> bool:
    """True when ``text`` holds exactly the data of ``document``."""
    if CParser is not None:
        try:
            if same(pyyaml.load(text, Loader=_ReadBack), document):  # nosec B506: a safe constructor
                return True
        except (pyyaml.YAMLError, ValueError):
            pass
    try:  # libyaml and ruamel.yaml may read a scalar differently (a timestamp, a tagged value): ask ruamel.yaml
        return same(_load(_yaml_for(text), text), document, _comparable)
    except EditError:
        return False


def _rendered(text: str, yaml, document, reason) -> str:
    """The edit by rendering the whole document and carrying the change back onto ``text``."""
    normalized = _dump(yaml, _load(yaml, text))
    edited = _dump(yaml, document)
    if normalized == text:
        return edited
    merged = splice(text, normalized, edited)
    if merged is not None and reads_back(merged, document):
        return merged
    raise refusal('the YAML library', 'in block style with single spaces, as it writes them', (text, normalized, edited),
                  reason.where or 'this edit', reason.why)


def edit(text: str, change) -> str:
    """``text`` after ``change(document, dry_run) -> bool``, touching only what changed."""
    data = _json_doc.load(text)
    if data is not None:
        return _json_doc.edit(text, change, data)
    layout = _layout(text)
    yaml = _yaml_for(text, layout=layout)
    document = _load(yaml, text)
    if document is None:
        document = CommentedMap()
        if not change(document, True):
            return text
        change(document, False)
        prefix = text if not text or text.endswith('\n') else text + '\n'
        return prefix + _dump(yaml, document)
    if not change(document, True):
        return text
    try:
        notes = _yaml_patch.snapshot(document)
    except _yaml_patch.Unplaceable as exc:
        notes, reason = None, exc
    change(document, False)
    if notes is not None:
        try:
            merged = _yaml_patch.patch(text, notes, document, renderer(text, layout))
        except _yaml_patch.Unplaceable as exc:
            reason = exc
        else:
            if reads_back(merged, document):
                return merged
            reason = _yaml_patch.Unplaceable('', 'the lines written from the marks do not read back as the edit')
    return _rendered(text, yaml, document, reason)
