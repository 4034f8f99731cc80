"""yaml_edit on kubelet configs written as JSON, in the shapes cloud node images write them."""

from __future__ import annotations

import difflib
import json
import re

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _json_doc, _tree, _yaml_doc
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from testpaths import FIXTURES

TRACING = {'tracing.endpoint': '10.0.0.5:4317', 'tracing.samplingRatePerMillion': 10000}


def edit(text, set_values=None, unset=None):
    compiled = _tree.compile_paths(set_values or {}, unset or [])
    return _yaml_doc.edit(text, lambda doc, dry_run: _tree.apply_paths(doc, compiled, _yaml_doc.STYLE, dry_run))


def changes(before, after):
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm='', n=0)
            if line[:1] in '+-' and line[:3] not in ('---', '+++')]


def fixture(name):
    return (FIXTURES / 'kubelet-json' / name).read_text()


@pytest.mark.parametrize('name, indent', [('al2-image.json', '  '), ('al2-bootstrap.json', '  '),
                                          ('al2023-nodeadm.json', '    ')])
def test_tracing_goes_into_json_kubelet_configs_as_json(name, indent):
    text = fixture(name)
    after = edit(text, TRACING)
    assert changes(text, after) == [
        '-%s"volumeStatsAggPeriod": "0s"' % indent, '+%s"volumeStatsAggPeriod": "0s",' % indent,
        '+%s"tracing": {' % indent, '+%s"endpoint": "10.0.0.5:4317",' % (indent * 2),
        '+%s"samplingRatePerMillion": 10000' % (indent * 2), '+%s}' % indent]
    assert json.loads(after)['tracing'] == {'endpoint': '10.0.0.5:4317', 'samplingRatePerMillion': 10000}
    assert edit(after, TRACING) is after
    assert edit(after, unset=['tracing']) == text


@pytest.mark.parametrize('name', ['al2-image.json', 'al2-bootstrap.json', 'al2023-nodeadm.json'])
@pytest.mark.parametrize('path, value', [('clusterDomain', 'lab.local'), ('authentication.webhook.enabled', False),
                                         ('logging.verbosity', 4), ('clusterDNS[0]', '10.0.0.53')])
def test_one_value_changes_one_line(name, path, value):
    text = fixture(name)
    after = edit(text, {path: value})
    assert len(changes(text, after)) == 2
    assert len(after.splitlines()) == len(text.splitlines()) and after.endswith(text[-1])


@pytest.mark.parametrize('text, set_values, unset, expected', [
    ('{"a":1,"b":[1,2]}', {'c': True}, [], '{"a":1,"b":[1,2],"c":true}'),
    ('{\n\t"a": 1\n}\n', {'b.c': 'x'}, [], '{\n\t"a": 1,\n\t"b": {\n\t\t"c": "x"\n\t}\n}\n'),
    ('{\n  "list": ["x", "y"],\n  "n": 1\n}\n', {'list[2]': 'z'}, [], '{\n  "list": ["x", "y", "z"],\n  "n": 1\n}\n'),
    ('{\n  "list": ["x", "y"],\n  "n": 1\n}\n', {'n': 2}, [], '{\n  "list": ["x", "y"],\n  "n": 2\n}\n'),
    ('{\n  "a": "é",\n  "b": "x"\n}\n', {'b': 'ü'}, [], '{\n  "a": "é",\n  "b": "ü"\n}\n'),
    ('{\n  "a": "\\u00e9",\n  "b": "x"\n}\n', {'b': 'ü'}, [], '{\n  "a": "\\u00e9",\n  "b": "\\u00fc"\n}\n'),
    ('{\n  "a": 1,\n  "b": {\n    "c": 2\n  }\n}\n', {}, ['b.c'], '{\n  "a": 1,\n  "b": {}\n}\n'),
    ('{\n  "a" : 1\n}\n', {'b': 2}, [], '{\n  "a" : 1,\n  "b" : 2\n}\n'),
    ('{\r\n  "a": 1\r\n}\r\n', {'b': 2}, [], '{\r\n  "a": 1,\r\n  "b": 2\r\n}\r\n'),
    ('{\n  "l": [{"name": "a"}, {"name": "c"}]\n}', {'l[1].name': 'b'}, [], '{\n  "l": [{"name": "a"}, {"name": "b"}]\n}'),
])
def test_json_layouts_are_kept(text, set_values, unset, expected):
    assert edit(text, set_values, unset) == expected


def test_keys_named_twice_are_refused():
    with pytest.raises(EditError, match=re.escape('has the key "a" twice in one object')):
        edit('{"a": 1, "a": 2}\n', {'b': 1})


def test_json_laid_out_beyond_the_writer_fails_and_says_how_many_lines():
    text = '{\n  "a": [1,\n    2],\n  "b": 1\n}\n'
    assert edit(text, {'b': 2}) == '{\n  "a": [1,\n    2],\n  "b": 2\n}\n'
    with pytest.raises(EditError) as error:
        edit(text, {'a[2]': 3})
    assert str(error.value) == (
        "a[2] cannot be written onto the file's own lines (the change falls on lines laid out another way): "
        "the JSON writer writes 2 line(s) of this file differently (first: line 2, '  \"a\": [1,'), so writing "
        "the edit would change 5 line(s) where the edit itself changes 2; write those lines with one value to a "
        "line, or a whole list or object on one line, or make this change by hand, and run again")


@pytest.mark.parametrize('text, is_json', [
    ('{"a": 1}', True), ('  [1, 2]\n', True), ('a: 1\n', False), ('{a: 1}\n', False), ('', False),
    ('{"a": 1}\nb: 2\n', False),
])
def test_which_files_are_json(text, is_json):
    assert (_json_doc.load(text) is not None) is is_json


def test_a_value_json_cannot_hold_is_refused():
    with pytest.raises(EditError, match='which JSON cannot hold'):
        edit('{"a": 1.5}\n', {'a': float('nan')})
