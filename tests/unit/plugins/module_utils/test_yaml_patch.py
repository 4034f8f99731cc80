"""Edits written from the parsed nodes' marks: each layout, and each layout the marks cannot place."""

from __future__ import annotations

import random
import re

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _keypath, _tree, _yaml_doc, _yaml_patch
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from testpaths import FIXTURES


def paths(set_values=None, unset=None):
    compiled = _tree.compile_paths(set_values or {}, unset or [])
    return lambda doc, dry_run: _tree.apply_paths(doc, compiled, _yaml_doc.STYLE, dry_run)


def insert(path, index, value):
    """A change that puts ``value`` at ``index`` of the list at ``path`` (what static_pod does)."""
    segments = _keypath.parse(path)

    def change(doc, dry_run):
        if not dry_run:
            _tree.get_value(doc, segments, _yaml_doc.STYLE).insert(index, value)
        return True
    return change


def patched(text, change):
    """The text written from the marks alone (no fallback): Unplaceable when they cannot place it."""
    document = _yaml_doc.parse(text)
    change(document, True)
    notes = _yaml_patch.snapshot(document)
    change(document, False)
    return _yaml_patch.patch(text, notes, document, _yaml_doc.renderer(text))


LIST_ITEMS = 'spec:\n  items:\n  - name: a\n    path: /a\n  - name: c\n    path: /c\n'


@pytest.mark.parametrize('text, change, expected', [
    # a scalar in place, its comment kept in its column (or one space after a longer value)
    ('a: 1   # c\nb: 2\n', paths({'a': 42}), 'a: 42  # c\nb: 2\n'),
    ('a: 1   # c\nb: 2\n', paths({'a': 1234567}), 'a: 1234567 # c\nb: 2\n'),
    ('a: "x\\"y"  # c\n', paths({'a': 'z'}), 'a: "z"     # c\n'),
    ("a: 'it''s' # c\n", paths({'a': 'x'}), "a: 'x'     # c\n"),
    ('a:   1   # spaced\nb: 2\n', paths({'b': 3}), 'a:   1   # spaced\nb: 3\n'),
    ('l:\n- a\n- b\n', paths({'l[1]': 'c'}), 'l:\n- a\n- c\n'),
    ('l:\n- name: x\n  v: 1\n', paths({'l[0].name': 'y'}), 'l:\n- name: y\n  v: 1\n'),
    ('a:\n  long plain value\nb: 1\n', paths({'a': 'short'}), 'a:\n  short\nb: 1\n'),
    # a value that is not one line is written anew, on the lines it had
    ('a: one\n  two\nb: 1\n', paths({'a': 'x'}), 'a: x\nb: 1\n'),
    ('a: |\n  one\n  two\nb: 1\n', paths({'a': 'x'}), 'a: |-\n  x\nb: 1\n'),
    ('a: ~\nb: 2\n', paths({'a': {'x': 1}}), 'a:\n  x: 1\nb: 2\n'),
    # new keys: after the last line of the mapping, before comments that belong to what follows
    ('a:\n  x: 1\n# about b\nb: 2\n', paths({'a.y': 3}), 'a:\n  x: 1\n  y: 3\n# about b\nb: 2\n'),
    ('a:\n  x: |\n    text\n    # inside the text\nb: 2\n', paths({'a.y': 3}),
     'a:\n  x: |\n    text\n    # inside the text\n  y: 3\nb: 2\n'),
    ('a: 1', paths({'b.c': 2}), 'a: 1\nb:\n  c: 2\n'),
    ('a: 1\n...\n', paths({'b': 2}), 'a: 1\nb: 2\n...\n'),
    ('---\na: 1\n\n\n# end\n', paths({'b': 2}), '---\na: 1\nb: 2\n\n\n# end\n'),
    ('a: 1\r\nb: 2\r\n', paths({'c': {'d': 3}}), 'a: 1\r\nb: 2\r\nc:\r\n  d: 3\r\n'),
    ('root:\n    four:\n        x: 1\n', paths({'root.four.y': 2}), 'root:\n    four:\n        x: 1\n        y: 2\n'),
    # list items: in the middle, first, last, in the siblings' dash column
    (LIST_ITEMS, insert('spec.items', 1, {'name': 'b', 'path': '/b'}),
     'spec:\n  items:\n  - name: a\n    path: /a\n  - name: b\n    path: /b\n  - name: c\n    path: /c\n'),
    (LIST_ITEMS, insert('spec.items', 0, {'name': '0', 'path': '/0'}),
     "spec:\n  items:\n  - name: '0'\n    path: /0\n  - name: a\n    path: /a\n  - name: c\n    path: /c\n"),
    ('l:\n  - x: 1\n\n  - x: 2\n\nz: 1\n', paths({'l[2]': {'x': 3}}), 'l:\n  - x: 1\n\n  - x: 2\n  - x: 3\n\nz: 1\n'),
    # removals take the entry's own lines, not the comment above the next one
    ('a: 1\n# about b\nb: 2\n', paths(unset=['a']), '# about b\nb: 2\n'),
    ('a:\n  x: 1  # x\n  y:\n    deep: 2\nz: 3\n', paths(unset=['a.y']), 'a:\n  x: 1  # x\nz: 3\n'),
    (LIST_ITEMS, paths(unset=['spec.items[0]']), 'spec:\n  items:\n  - name: c\n    path: /c\n'),
    # a one-line flow collection, or one the edit fills or empties, is written anew on its line
    ('a: {b: 1,  c: 2}\nd: [1,  2]\n', paths({'a.b': 3}), 'a: {b: 3, c: 2}\nd: [1,  2]\n'),
    ('a: [1, 2]\nb: {c: [x]}\n', paths({'a[2]': 3, 'b.c[1]': 'y'}), 'a: [1, 2, 3]\nb: {c: [x, y]}\n'),
    ('meta:\n  annotations: {}\n  name: x\n', paths({'meta.annotations.k': 'v'}),
     'meta:\n  annotations:\n    k: v\n  name: x\n'),
    ('a:\n  b: 1\nc: 2\n', paths(unset=['a.b']), 'a: {}\nc: 2\n'),
    ('a:\n  l:\n  - x\n  - y\nc: 2\n', paths(unset=['a.l[1]', 'a.l[0]']), 'a:\n  l: []\nc: 2\n'),
    ('l:\n- {}\n- x\n', paths({'l[0].b': 1}), 'l:\n- b: 1\n- x\n'),
    ('a:\n  x: 1\nb: {}\nc: {}\n', paths({'a.y': 2, 'b.k': 3, 'c.k': 4}), 'a:\n  x: 1\n  y: 2\nb:\n  k: 3\nc:\n  k: 4\n'),
    # several changes at once
    ('a: 1\nb:\n- x\n- y\nc: 3\n', paths({'a': 2, 'b[2]': 'z', 'd': 4}, ['c']), 'a: 2\nb:\n- x\n- y\n- z\nd: 4\n'),
])
def test_changes_written_from_the_marks(text, change, expected):
    assert patched(text, change) == expected
    assert _yaml_doc.edit(text, change) == expected


@pytest.mark.parametrize('text, change, reason', [
    ('a: {b: 1,\n    c: 2}\n', paths({'a.b': 2}), 'a.b: it is written in flow style, on lines the edit would rewrite'),
    ('a: [1, 2]  # two\n', paths({'a[2]': 3}), 'a: it is written in flow style, on lines the edit would rewrite'),
    ('a: 1\n', paths(unset=['a']), 'the document: the edit empties it'),
    ('base: &b\n  x: 1\nother: *b\n', paths({'y': 1}), 'the document uses anchors and aliases'),
    ('l:\n- name: x\n  v: 1\n', paths(unset=['l[0].name']), 'l[0].name: it shares its line with a list dash'),
    ('l:\n- - a\n  - b\n', paths(unset=['l[0][0]']), 'l[0][0]: its list dash is not alone'),
    ('x\n', lambda doc, dry_run: True, 'the document is a single scalar'),
])
def test_layouts_the_marks_cannot_place(text, change, reason):
    with pytest.raises(_yaml_patch.Unplaceable, match=re.escape(reason)):
        patched(text, change)


@pytest.mark.parametrize('text, change, expected', [
    ('a: {b: 1,\n    c: 2}\nd:  2\n', paths({'d': 3}), 'a: {b: 1,\n    c: 2}\nd:  3\n'),
    ('a: [1, 2]  # two\n', paths({'a[2]': 3}), 'a: [1, 2, 3] # two\n'),
    ('a: 1\n', paths(unset=['a']), '{}\n'),
    ('a:\n  b: 1\n', paths(unset=['a.b']), 'a: {}\n'),
    ('base: &b\n  x: 1\nother: *b\ny: 1\n', paths({'y': 2}), 'base: &b\n  x: 1\nother: *b\ny: 2\n'),
    ('l:\n- name: x\n  v: 1\n', paths(unset=['l[0].name']), 'l:\n- v: 1\n'),
])
def test_what_the_marks_cannot_place_is_rendered_and_spliced(text, change, expected):
    assert _yaml_doc.edit(text, change) == expected


@pytest.mark.parametrize('name', ['kube-apiserver.yaml', 'etcd.yaml', 'kube-controller-manager.yaml',
                                  'kube-scheduler.yaml', 'kubelet-config.yaml'])
@pytest.mark.parametrize('version', ['v1.37.2', 'v1.33.13'])
def test_every_key_of_real_kubeadm_files_can_be_changed_from_the_marks(version, name):
    """Each scalar of the file, changed alone, changes exactly its own line."""
    text = (FIXTURES / 'kubeadm' / version / name).read_text()
    document = _yaml_doc.parse(text)
    scalars = []

    def walk(node, path):
        items = node.items() if _tree.is_mapping(node) else enumerate(node)
        for key, value in items:
            here = ('%s.%s' % (path, key) if path else key) if _tree.is_mapping(node) else '%s[%d]' % (path, key)
            if _tree.is_mapping(value) or _tree.is_list(value):
                walk(value, here)
            elif isinstance(value, str) and '.' not in str(key) and '/' not in str(key):
                scalars.append(here)
    walk(document, '')
    assert scalars
    for path in scalars:
        after = patched(text, paths({path: 'kubetrace-probe'}))
        changed = [(old, new) for old, new in zip(text.splitlines(), after.splitlines()) if old != new]
        assert len(after.splitlines()) == len(text.splitlines()) and len(changed) == 1, path
        assert 'kubetrace-probe' in changed[0][1]


def _random_change(rnd, document):
    """Up to three random sets, removals and list insertions somewhere in ``document``, as a change."""
    places = []

    def walk(node, path):
        places.append(path)
        for key, value in (node.items() if _tree.is_mapping(node) else enumerate(node)):
            if _tree.is_mapping(value) or _tree.is_list(value):
                walk(value, path + (key,))
    walk(document, ())
    steps = []
    for _step in range(rnd.randint(1, 3)):
        path = rnd.choice(places)
        node = document
        for key in path:
            node = node[key]
        size = len(node)
        if _tree.is_mapping(node):
            key = rnd.choice(list(node) + ['kubetrace%d' % rnd.randint(0, 3)])
            value = rnd.choice([None, 'value', 7, {'a': 1, 'b': [1, 'x']}, ['p', {'q': 2}]])
        else:
            key = rnd.randint(0, size)
            value = rnd.choice([None, 'item', 3, {'name': 'n', 'v': 1}])
        steps.append((path, key, value))

    def change(doc, dry_run):
        for path, key, value in steps if not dry_run else ():
            node = doc
            for part in path:
                node = node[part] if (_tree.is_mapping(node) and part in node) or \
                    (_tree.is_list(node) and isinstance(part, int) and part < len(node)) else None
                if node is None:
                    break
            if _tree.is_mapping(node) and isinstance(key, str):
                if value is None:
                    node.pop(key, None)
                else:
                    node[key] = value if not isinstance(value, (dict, list)) else type(value)(value)
            elif _tree.is_list(node) and isinstance(key, int) and key <= len(node) and (node or value is not None):
                if value is None:
                    del node[min(key, len(node) - 1):min(key, len(node) - 1) + 1]
                else:
                    node.insert(key, value if not isinstance(value, dict) else dict(value))
        return True
    return change


@pytest.mark.parametrize('seed', range(4))
def test_random_edits_of_real_files_read_back_as_the_change(seed):
    """Whatever the marks can place is placed right; what they cannot is rendered, or refused."""
    rnd = random.Random(seed)
    files = sorted((FIXTURES / 'kubeadm').rglob('*.yaml'))
    for _trial in range(25):
        text = rnd.choice(files).read_text()
        change = _random_change(rnd, _yaml_doc.parse(text))
        expected = _yaml_doc.parse(text)
        change(expected, False)
        try:
            after = _yaml_doc.edit(text, change)
        except EditError:
            continue
        assert _tree.same(_yaml_doc.parse(after) or {}, expected)
