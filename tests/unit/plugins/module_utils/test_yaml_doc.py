from __future__ import annotations

import difflib
import re

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _tree, _yaml_doc
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from testpaths import FIXTURES

KUBEADM = FIXTURES / 'kubeadm' / 'v1.37.2'


def edit(text, set_values=None, unset=None):
    compiled = _tree.compile_paths(set_values or {}, unset or [])
    return _yaml_doc.edit(text, lambda doc, dry_run: _tree.apply_paths(doc, compiled, _yaml_doc.STYLE, dry_run))


def changed_lines(before, after):
    """Lines removed and added, without diff headers."""
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm='', n=0)
            if line[:1] in '+-' and line[:3] not in ('---', '+++')]


FOUR_SPACES = '''---
# settings kept by hand
server:
    name: "quoted"    # a comment that stays
    port: 8080

    list:
        - one
        - 'two'
other: ~
...
'''


@pytest.mark.parametrize('text, mapping, offset', [
    ((KUBEADM / 'kube-apiserver.yaml').read_text(), 2, 0),
    ((KUBEADM / 'kubelet-config.yaml').read_text(), 2, 0),
    (FOUR_SPACES, 4, 4),
    ('a:\n  - x\n  - y\nb:\n  c: 1\n', 2, 2),
    ('a: 1\n', 2, 0),
])
def test_guess_indent(text, mapping, offset):
    assert _yaml_doc.guess_indent(text) == (mapping, offset)


@pytest.mark.parametrize('version', ['v1.37.2', 'v1.33.13'])
@pytest.mark.parametrize('name', ['kube-apiserver.yaml', 'etcd.yaml', 'kube-controller-manager.yaml',
                                  'kube-scheduler.yaml', 'kubelet-config.yaml'])
def test_real_kubeadm_files_change_only_where_edited(version, name):
    text = (FIXTURES / 'kubeadm' / version / name).read_text()
    after = edit(text, {'metadata.labels.kubetrace': 'on'} if 'kubelet' not in name else
                 {'tracing': {'endpoint': '10.0.0.5:4317', 'samplingRatePerMillion': 10000}})
    added = changed_lines(text, after)
    assert all(line.startswith('+') for line in added)
    assert len(added) in (1, 3)
    assert edit(after, {'metadata.labels.kubetrace': 'on'} if 'kubelet' not in name else
                {'tracing': {'endpoint': '10.0.0.5:4317', 'samplingRatePerMillion': 10000}}) == after


def test_kubelet_tracing_lands_in_the_files_own_style():
    text = (KUBEADM / 'kubelet-config.yaml').read_text()
    after = edit(text, {'tracing.endpoint': '10.0.0.5:4317', 'tracing.samplingRatePerMillion': 10000})
    assert changed_lines(text, after) == ['+tracing:', '+  endpoint: 10.0.0.5:4317',
                                          '+  samplingRatePerMillion: 10000']
    assert edit(after, unset=['tracing']) == text


def test_four_space_file_keeps_marker_comments_quotes_and_blank_lines():
    after = edit(FOUR_SPACES, {'server.port': 9090, 'server.list[2]': 'three', 'server.name': 'new'})
    assert changed_lines(FOUR_SPACES, after) == [
        '-    name: "quoted"    # a comment that stays', '-    port: 8080',
        '+    name: "new"       # a comment that stays', '+    port: 9090', "+        - three"]
    assert after.splitlines()[3].index('#') == FOUR_SPACES.splitlines()[3].index('#')
    assert after.startswith('---\n# settings kept by hand\n')
    assert after.endswith('other: ~\n...\n')


def test_nothing_to_change_returns_the_same_text():
    assert edit(FOUR_SPACES, {'server.port': 8080}, ['server.missing']) is FOUR_SPACES


def test_created_file_and_comment_only_file():
    assert edit('', {'a.b': 1}) == 'a:\n  b: 1\n'
    assert edit('# only a comment\n', {'a': 1}) == '# only a comment\na: 1\n'


def test_kubeadm_list_style_is_kept_for_new_items():
    text = (KUBEADM / 'kube-apiserver.yaml').read_text()
    after = edit(text, {'spec.containers[name=kube-apiserver].command[28]': '--x=1'})
    assert changed_lines(text, after) == ['+    - --x=1']


@pytest.mark.parametrize('text, message', [
    ('a: [1, 2\nb: 3\n', 'not valid YAML at line 2 column 2'),
    ('a: 1\n  b: 2\n', 'not valid YAML at line 2 column 4'),
    ('a: 1\na: 2\n', 'not valid YAML at line 2 column 1'),
    ('a: 1\n---\nb: 2\n', 'holds 2 YAML documents'),
])
def test_bad_yaml_names_line_and_column(text, message):
    with pytest.raises(EditError, match=re.escape(message)):
        edit(text, {'c': 1})


def test_lines_the_parser_would_rewrite_keep_their_bytes():
    text = 'a:   1   # spaced\nb: 2\nflow: [1,  2]\nc: ~\n'
    after = edit(text, {'b': 3, 'd': 'new'})
    assert after == 'a:   1   # spaced\nb: 3\nflow: [1,  2]\nc: ~\nd: new\n'


def test_an_edit_that_would_rewrite_lines_it_does_not_touch_fails_and_says_how_many():
    text = 'a: {b: 1,\n    c: 2}\nd: [1,  2]\n'
    with pytest.raises(EditError) as error:
        edit(text, {'a.b': 3})
    assert str(error.value) == (
        "a.b cannot be written onto the file's own lines (it is written in flow style, on lines the edit would "
        "rewrite): the YAML library writes 3 line(s) of this file differently (first: line 1, 'a: {b: 1,'), so "
        "writing the edit would change 3 line(s) where the edit itself changes 1; write those lines in block "
        "style with single spaces, as it writes them, or make this change by hand, and run again")


@pytest.mark.parametrize('text', [
    'a: 1\nb: true\nc: 0.5\nd: ~\ne: "x"\nf: [1, 2]\n',
    'when: 2001-12-14\n',             # a timestamp to ruamel.yaml, a string to the YAML 1.2 core schema
    'a: yes\nb: 0o17\nc: 1e3\n',      # YAML 1.1 would read a boolean and other numbers
    'a: !custom value\n',
])
def test_a_result_is_read_back_as_the_document(text):
    document = _yaml_doc.parse(text)
    assert _yaml_doc.reads_back(text, document)
    assert not _yaml_doc.reads_back(text + 'extra: 1\n', document)
    assert not _yaml_doc.reads_back(text + '  broken: [\n', document)
