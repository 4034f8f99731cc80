from __future__ import annotations

import re

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._keypath import parse, render
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import (
    Style,
    apply_paths,
    coerce,
    compile_paths,
    first_difference,
    get_value,
    ordered_like,
    same,
    set_value,
    unset_value,
)

PLAIN = Style()


def doc():
    return {
        'tracing': {'endpoint': 'a:4317', 'samplingRatePerMillion': 100},
        'ratio': 1.0,
        'enabled': True,
        'name': 'x',
        'containers': [{'name': 'one', 'args': ['--a']}, {'name': 'two'}],
        'empty': None,
    }


@pytest.mark.parametrize('old, new, wanted', [
    (1.0, 2, 2.0),
    (1.0, '0.5', 0.5),
    (100, '200', 200),
    (100, 3.0, 3),
    (True, 'false', False),
    (True, 'yes', True),
    (False, True, True),
    ('x', 4317, '4317'),
    ('x', 'y', 'y'),
    (None, {'a': 1}, {'a': 1}),
    (1, None, None),
])
def test_coerce_keeps_the_existing_type(old, new, wanted):
    result = coerce(old, new, 'k')
    assert result == wanted and type(result) is type(wanted)


@pytest.mark.parametrize('old, new, kind', [
    (100, 'many', 'an integer'),
    (100, 2.5, 'an integer'),
    (1.0, 'fast', 'a float'),
    (True, 'maybe', 'a boolean'),
    (True, 1, 'a boolean'),
    ('x', True, 'a string'),
])
def test_coerce_refuses_what_cannot_take_the_type(old, new, kind):
    with pytest.raises(EditError, match='k holds %s' % kind):
        coerce(old, new, 'k')


def test_same_does_not_confuse_booleans_and_numbers():
    assert not same(True, 1)
    assert not same(1, 1.0)
    assert same({'a': [1, {'b': True}]}, {'a': [1, {'b': True}]})
    assert not same({'a': 1}, {'a': 1, 'b': 2})


@pytest.mark.parametrize('path, value', [
    ('tracing.endpoint', 'b:4317'),
    ('new.deep.key', 1),
    ('containers[name=two].image', 'img'),
    ('containers[0].args[1]', '--b'),
    ('empty', {'now': 'a mapping'}),
    ('tracing', {'endpoint': 'a:4317'}),
])
def test_set_changes_and_dry_run_predicts_it(path, value):
    data = doc()
    assert set_value(data, parse(path), value, PLAIN, dry_run=True) is True
    assert data == doc()
    assert set_value(data, parse(path), value, PLAIN) is True
    assert same(get_value(data, parse(path), PLAIN), value)
    assert set_value(data, parse(path), value, PLAIN) is False
    assert set_value(data, parse(path), value, PLAIN, dry_run=True) is False


def test_set_mapping_replaces_only_what_differs():
    data = doc()
    tracing = data['tracing']
    set_value(data, parse('tracing'), {'endpoint': 'b:4317', 'samplingRatePerMillion': 100}, PLAIN)
    assert data['tracing'] is tracing
    assert tracing == {'endpoint': 'b:4317', 'samplingRatePerMillion': 100}


def test_unset_is_idempotent():
    data = doc()
    assert unset_value(data, parse('tracing.endpoint'), PLAIN, dry_run=True) is True
    assert 'endpoint' in data['tracing']
    assert unset_value(data, parse('tracing.endpoint'), PLAIN) is True
    assert unset_value(data, parse('tracing.endpoint'), PLAIN) is False
    assert unset_value(data, parse('no.such.key'), PLAIN) is False
    assert unset_value(data, parse('containers[name=one].args[0]'), PLAIN) is True
    assert data['containers'][0]['args'] == []


@pytest.mark.parametrize('path, value, message', [
    ('name.sub', 1, "key path crosses a scalar: name holds a string ('x')"),
    ('tracing.endpoint.host', 1, "key path crosses a scalar: tracing.endpoint holds a string"),
    ('ratio[0]', 1, 'key path crosses a scalar: ratio holds a float'),
    ('containers[name=three].image', 'x', 'no item has name=three (items have name: one, two)'),
    ('containers.name', 'x', 'containers is a list; index it with [N] or [field=value]'),
    ('tracing[0]', 'x', 'tracing is a mapping; address its keys with .key'),
    ('containers[5]', {}, 'containers has 2 items; index 5 is out of range (use 2 to append)'),
    ('tracing', 'scalar', 'tracing holds a mapping; refusing to replace it with a string'),
    ('tracing.samplingRatePerMillion', 'lots', 'tracing.samplingRatePerMillion holds an integer'),
])
def test_set_errors_name_the_key(path, value, message):
    data = doc()
    with pytest.raises(EditError, match=re.escape(message)):
        set_value(data, parse(path), value, PLAIN)
    assert data == doc()


def test_selector_matching_two_items_is_refused():
    data = {'items': [{'name': 'a'}, {'name': 'a'}]}
    with pytest.raises(EditError, match=re.escape('items[name=a]: 2 items have name=a')):
        set_value(data, parse('items[name=a].x'), 1, PLAIN)


def test_compile_paths_refuses_a_path_in_set_and_unset():
    with pytest.raises(EditError, match='a.b is in both set and unset'):
        compile_paths({'a.b': 1}, ['a.b'])


def test_apply_paths_unsets_then_sets():
    data = doc()
    compiled = compile_paths({'tracing.endpoint': 'c:1'}, ['ratio'])
    assert apply_paths(data, compiled, PLAIN, dry_run=True) is True
    assert apply_paths(data, compiled, PLAIN) is True
    assert 'ratio' not in data and data['tracing']['endpoint'] == 'c:1'
    assert apply_paths(data, compiled, PLAIN) is False


@pytest.mark.parametrize('value, siblings, keys', [
    ({'hostPath': {'path': '/x'}, 'name': 'x'}, [{'name': 'a', 'hostPath': {'type': 'File', 'path': '/a'}}],
     ['name', 'hostPath']),
    ({'name': 'x', 'hostPath': {'path': '/x'}}, [{'hostPath': {'path': '/a'}, 'name': 'a'}], ['hostPath', 'name']),
    ({'readOnly': True, 'name': 'x', 'mountPath': '/x'}, [{'mountPath': '/a', 'name': 'a'}],
     ['mountPath', 'name', 'readOnly']),
    ({'b': 1, 'a': 2}, [], ['b', 'a']),
    ({'b': 1, 'a': 2}, ['scalar', {'a': 0}], ['a', 'b']),
    ({'z': 1, 'y': 2, 'a': 3}, [{'a': 0}, {'y': 0, 'a': 0}], ['a', 'y', 'z']),
])
def test_a_new_item_takes_its_siblings_key_order(value, siblings, keys):
    ordered = ordered_like(value, siblings)
    assert list(ordered) == keys and ordered == value


def test_nested_mappings_of_a_new_item_follow_the_siblings_too():
    ordered = ordered_like({'hostPath': {'path': '/x', 'type': 'File'}, 'name': 'x'},
                           [{'name': 'a', 'hostPath': {'type': 'File', 'path': '/a'}}])
    assert list(ordered['hostPath']) == ['type', 'path']
    assert ordered_like('scalar', [{'a': 1}]) == 'scalar'


def test_appended_list_items_are_ordered_like_their_siblings():
    document = {'items': [{'name': 'a', 'path': '/a'}]}
    set_value(document, parse('items[1]'), {'path': '/b', 'name': 'b'}, PLAIN)
    assert list(document['items'][1]) == ['name', 'path']
    apply_paths(document, compile_paths({'items': [{'name': 'a', 'path': '/a'}, {'name': 'b', 'path': '/b'},
                                                   {'path': '/c', 'name': 'c'}]}, []), PLAIN)
    assert list(document['items'][2]) == ['name', 'path']


@pytest.mark.parametrize('left, right, where', [
    ({'a': 1}, {'a': 1}, None),
    ({'a': {'b': [1, 2]}}, {'a': {'b': [1, 3]}}, 'a.b[1]'),
    ({'a': 1}, {'a': 1, 'b.c': 2}, '"b.c"'),
    ([1], [1, 2], '[1]'),
    ({'a': 1}, [1], '(document root)'),
])
def test_first_difference(left, right, where):
    found = first_difference(left, right)
    assert (found if found is None else render(found)) == where
