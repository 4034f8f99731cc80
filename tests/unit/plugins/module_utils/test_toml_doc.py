"""toml_edit's engine over `containerd config default` from real containerd 1.6, 1.7 and 2.x."""

from __future__ import annotations

import difflib
import re

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _toml_doc, _tree
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from testpaths import FIXTURES

OTLP = 'plugins."io.containerd.tracing.processor.v1.otlp"'
TRACING = 'plugins."io.containerd.internal.v1.tracing"'
KEYS = {OTLP + '.endpoint': '10.0.0.5:4318', OTLP + '.protocol': 'http/protobuf',
        TRACING + '.sampling_ratio': 0.5}


def config(version):
    return (FIXTURES / 'containerd' / ('config-default-%s.toml' % version)).read_text()


def edit(text, set_values=None, unset=None):
    compiled = _tree.compile_paths(set_values or {}, unset or [])
    return _toml_doc.edit(text, lambda doc, dry_run: _tree.apply_paths(doc, compiled, _toml_doc.STYLE, dry_run))


def changes(before, after):
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm='', n=0)
            if line[:1] in '+-' and line[:3] not in ('---', '+++')]


@pytest.mark.parametrize('version, quote', [('1.7.24', '"'), ('2.2.9', "'")])
def test_keys_land_in_the_empty_tables_the_default_config_has(version, quote):
    text = config(version)
    after = edit(text, KEYS)
    assert changes(text, after) == ['+    sampling_ratio = 0.5', '+    endpoint = %s10.0.0.5:4318%s' % (quote, quote),
                                    '+    protocol = %shttp/protobuf%s' % (quote, quote)]
    assert edit(after, KEYS) is after
    assert edit(after, unset=list(KEYS)) == text


@pytest.mark.parametrize('version, quote', [('1.6.20', '"'), ('2.4.2', "'")])
def test_tables_are_added_where_the_default_config_has_none(version, quote):
    """Indented like the plugin tables beside them, keys and strings quoted the file's way."""
    text = config(version)
    after = edit(text, KEYS)
    assert changes(text, after) == [
        '+  [plugins.%sio.containerd.tracing.processor.v1.otlp%s]' % (quote, quote),
        '+    endpoint = %s10.0.0.5:4318%s' % (quote, quote), '+    protocol = %shttp/protobuf%s' % (quote, quote),
        '+', '+  [plugins.%sio.containerd.internal.v1.tracing%s]' % (quote, quote), '+    sampling_ratio = 0.5', '+']
    assert edit(after, KEYS) is after
    assert edit(after, unset=[OTLP, TRACING]) == text


@pytest.mark.parametrize('version', ['1.6.20', '2.4.2'])
def test_a_table_given_whole_is_written_like_one_built_key_by_key(version):
    text = config(version)
    whole = edit(text, {OTLP: {'endpoint': '10.0.0.5:4318', 'protocol': 'http/protobuf'},
                        TRACING: {'sampling_ratio': 0.5}})
    assert whole == edit(text, KEYS)


@pytest.mark.parametrize('text, set_values, expected', [
    # keys follow the keys of their table, or the file's indentation under a header
    ('[a]\n    x = 1\n', {'a.y': 2}, '[a]\n    x = 1\n    y = 2\n'),
    ('[a]\n  x = 1\n[b]\n', {'b.y': 2}, '[a]\n  x = 1\n[b]\n  y = 2\n'),
    ('x = 1\ny = 2\n', {'z': 3}, 'x = 1\ny = 2\nz = 3\n'),
    # tables follow the tables beside them, or their parent's header and the file's step
    ('[p]\n  [p.a]\n    x = 1\n', {'p.b.y': 2}, '[p]\n  [p.a]\n    x = 1\n\n  [p.b]\n    y = 2\n'),
    ('[p]\n  [p.a]\n    x = 1\n[q]\n  k = 1\n', {'q.r.y': 2},
     '[p]\n  [p.a]\n    x = 1\n[q]\n  k = 1\n\n  [q.r]\n    y = 2\n'),
    ('[p]\n[p.a]\nx = 1\n', {'p.b.y': 2}, '[p]\n[p.a]\nx = 1\n\n[p.b]\ny = 2\n'),
    # single-quoted keys and strings where the file writes them, bare keys stay bare
    ("[p.'a.b']\nx = 'v'\n", {"p.\"c.d\".y": 'w', 'p.e.z': 'it\'s'},
     "[p.'a.b']\nx = 'v'\n\n[p.'c.d']\ny = 'w'\n\n[p.e]\nz = \"it's\"\n"),
    ('[p."a.b"]\nx = "v"\n', {'p."c.d".y': 'w'}, '[p."a.b"]\nx = "v"\n\n[p."c.d"]\ny = "w"\n'),
    # a table given whole, tables inside it too
    ("[p]\n  [p.'q.r']\n    x = 'a'\n[z]\n  k = 1\n", {'p.n': {'x': 'v', 'sub': {'y': 2}, 'l': ['a']}},
     "[p]\n  [p.'q.r']\n    x = 'a'\n\n  [p.n]\n    x = 'v'\n    l = ['a']\n\n    [p.n.sub]\n      y = 2\n\n"
     "[z]\n  k = 1\n"),
])
def test_what_the_edit_adds_follows_the_file(text, set_values, expected):
    after = edit(text, set_values)
    assert after == expected
    assert edit(after, set_values) is after


def test_types_comments_and_literal_strings_are_kept():
    text = "[a]\n  ratio = 1.0  # how much\n  name = 'literal'\n  count = 3\n"
    after = edit(text, {'a.ratio': 1, 'a.name': 'other', 'a.count': '4'})
    assert after == "[a]\n  ratio = 1.0  # how much\n  name = 'other'\n  count = 4\n"
    assert edit(text, {'a.ratio': 2}) == "[a]\n  ratio = 2.0  # how much\n  name = 'literal'\n  count = 3\n"


def test_a_literal_string_that_cannot_hold_the_value_becomes_basic():
    assert edit("a = 'x'\n", {'a': "it's"}) == 'a = "it\'s"\n'


@pytest.mark.parametrize('text, set_values, message', [
    ('a = [\n', {'b': 1}, 'not valid TOML at line'),
    ('a = 1\na = 2\n', {'b': 1}, 'not valid TOML'),
    ('a = 1.0\n', {'a': 'fast'}, "a holds a float (1.0); 'fast' is a string"),
    ('a = 1\n', {'a.b': 1}, 'key path crosses a scalar: a holds an integer (1)'),
    ('[[runtimes]]\nname = "runc"\n[[runtimes]]\nname = "crun"\n', {'runtimes[name=kata].x': 1},
     'no item has name=kata (items have name: crun, runc)'),
])
def test_bad_toml_input(text, set_values, message):
    with pytest.raises(EditError, match=re.escape(message)):
        edit(text, set_values)


def test_array_of_tables_selector():
    text = '[[runtimes]]\nname = "runc"\n[[runtimes]]\nname = "crun"\n'
    assert edit(text, {'runtimes[name=crun].path': '/usr/bin/crun'}) == \
        '[[runtimes]]\nname = "runc"\n[[runtimes]]\nname = "crun"\npath = "/usr/bin/crun"\n'


def test_tables_added_at_the_end_come_out_without_a_trace():
    text = '[plugins]\n  [plugins."io.containerd.internal.v1.opt"]\n    path = "/var/lib/containerd/opt"\n'
    after = edit(text, KEYS)
    assert after.endswith('sampling_ratio = 0.5\n')
    assert edit(after, unset=[OTLP, TRACING]) == text
