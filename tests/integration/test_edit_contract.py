"""The contract every edit module keeps, each point run through ansible-playbook on a stdlib-only node."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from testpaths import FIXTURES

KUBEADM = FIXTURES / 'kubeadm' / 'v1.37.2'
TRACING = {'tracing.endpoint': '10.0.0.5:4317', 'tracing.samplingRatePerMillion': 10000}


def snapshot(path):
    """Bytes and inode metadata: proof that a file was not rewritten."""
    info = os.stat(path)
    return path.read_bytes(), info.st_ino, info.st_mtime_ns, info.st_mode, info.st_uid, info.st_gid


def leftovers(folder):
    return [name for name in os.listdir(folder) if name.startswith('.kubetrace.')]


@pytest.fixture
def kubelet_config(tmp_path):
    path = tmp_path / 'config.yaml'
    shutil.copy(KUBEADM / 'kubelet-config.yaml', path)
    return path


@pytest.fixture
def manifest(tmp_path):
    folder = tmp_path / 'manifests'
    folder.mkdir()
    path = folder / 'kube-apiserver.yaml'
    shutil.copy(KUBEADM / 'kube-apiserver.yaml', path)
    path.chmod(0o600)
    return path


def test_the_node_has_none_of_the_parsing_libraries(node):
    for library in ('ruamel.yaml', 'tomlkit', 'yaml'):
        probe = subprocess.run([node.python, '-c', 'import ' + library], capture_output=True, check=False)
        assert probe.returncode != 0, library + ' is importable on the test node'


def test_change_then_idempotent_run_with_one_read_and_one_write(play, kubelet_config):
    first = play('kubetrace.tracing.yaml_edit', {'path': str(kubelet_config), 'set': TRACING})
    assert first.result['changed'] is True and first.executions == 2
    assert 'tracing:\n  endpoint: 10.0.0.5:4317\n  samplingRatePerMillion: 10000\n' in kubelet_config.read_text()
    before = snapshot(kubelet_config)
    second = play('kubetrace.tracing.yaml_edit', {'path': str(kubelet_config), 'set': TRACING})
    assert second.result['changed'] is False and second.executions == 1
    assert snapshot(kubelet_config) == before


def test_a_json_kubelet_config_stays_json(play, tmp_path):
    path = tmp_path / 'config.json'
    shutil.copy(FIXTURES / 'kubelet-json' / 'al2023-nodeadm.json', path)
    first = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'set': TRACING})
    assert first.result['changed'] is True
    assert json.loads(path.read_text())['tracing'] == {'endpoint': '10.0.0.5:4317', 'samplingRatePerMillion': 10000}
    assert path.read_text().endswith('    "tracing": {\n        "endpoint": "10.0.0.5:4317",\n'
                                     '        "samplingRatePerMillion": 10000\n    }\n}')
    assert play('kubetrace.tracing.yaml_edit', {'path': str(path), 'set': TRACING}).result['changed'] is False


def test_check_mode_writes_nothing_and_diff_shows_the_change(play, kubelet_config):
    before = snapshot(kubelet_config)
    run = play('kubetrace.tracing.yaml_edit', {'path': str(kubelet_config), 'set': TRACING}, check=True, diff=True)
    assert run.result['changed'] is True and run.executions == 1
    assert snapshot(kubelet_config) == before
    assert run.result['diff']['before'] == before[0].decode()
    assert '+  endpoint: 10.0.0.5:4317' in run.stdout


def test_backup_goes_to_backup_dir_and_is_named(play, manifest, tmp_path):
    original = manifest.read_bytes()
    run = play('kubetrace.tracing.static_pod', {
        'path': str(manifest), 'container': 'kube-apiserver', 'backup': True,
        'backup_dir': str(tmp_path / 'backups'), 'flags': {'tracing-config-file': '/etc/kubernetes/tracing/a.yaml'}})
    backup = run.result['backup_file']
    assert backup.startswith(str(tmp_path / 'backups') + str(manifest) + '.')
    assert open(backup, 'rb').read() == original
    assert sorted(os.listdir(manifest.parent)) == ['kube-apiserver.yaml']


def test_backup_dir_inside_the_manifests_folder_is_refused(play, manifest):
    before = snapshot(manifest)
    run = play('kubetrace.tracing.static_pod', {
        'path': str(manifest), 'container': 'kube-apiserver', 'backup': True,
        'backup_dir': str(manifest.parent / 'old'), 'flags': {'v': 2}})
    assert run.results[0]['status'] == 'failed'
    assert 'is inside the manifests folder' in run.result['msg']
    assert snapshot(manifest) == before


def test_validate_runs_on_the_candidate_and_its_refusal_keeps_the_file(play, kubelet_config):
    before = snapshot(kubelet_config)
    refused = play('kubetrace.tracing.yaml_edit', {
        'path': str(kubelet_config), 'set': TRACING,
        'validate': '/bin/sh -c "grep -q samplingRatePerMillion $0 && echo refused by the validator >&2; exit 3" %s'})
    assert refused.results[0]['status'] == 'failed'
    assert 'refused by the validator' in refused.result['msg'] and 'rc=3' in refused.result['msg']
    assert snapshot(kubelet_config) == before
    assert leftovers(kubelet_config.parent) == []
    accepted = play('kubetrace.tracing.yaml_edit', {
        'path': str(kubelet_config), 'set': TRACING, 'validate': '/bin/grep -q samplingRatePerMillion %s'})
    assert accepted.result['changed'] is True
    assert leftovers(kubelet_config.parent) == []


def test_validate_without_placeholder_is_refused(play, kubelet_config):
    run = play('kubetrace.tracing.yaml_edit', {'path': str(kubelet_config), 'set': TRACING, 'validate': 'true'})
    assert 'validate must contain %s' in run.result['msg']


def test_mode_owner_and_group_are_kept(play, manifest):
    os.chown(manifest, 1234, 2345)
    play('kubetrace.tracing.static_pod', {'path': str(manifest), 'container': 'kube-apiserver', 'flags': {'v': 2}})
    info = os.stat(manifest)
    assert (oct(info.st_mode & 0o7777), info.st_uid, info.st_gid) == ('0o600', 1234, 2345)
    assert '    - --v=2\n' in manifest.read_text()


def test_mode_alone_is_a_change_and_create_makes_the_file(play, tmp_path):
    path = tmp_path / 'new.toml'
    created = play('kubetrace.tracing.toml_edit', {'path': str(path), 'create': True, 'mode': '0640',
                                                   'set': {'plugins."io.containerd.internal.v1.tracing".sampling_ratio': 1.0}})
    assert created.result['changed'] is True
    assert path.read_text() == '[plugins."io.containerd.internal.v1.tracing"]\nsampling_ratio = 1.0\n'
    assert oct(os.stat(path).st_mode & 0o777) == '0o640'
    again = play('kubetrace.tracing.toml_edit', {'path': str(path), 'mode': '0600',
                                                 'set': {'plugins."io.containerd.internal.v1.tracing".sampling_ratio': 1}})
    assert again.result['changed'] is True and again.executions == 2
    assert oct(os.stat(path).st_mode & 0o777) == '0o600'


BAD_INPUT = [
    pytest.param('kubetrace.tracing.yaml_edit', 'a: [1, 2\nb: 3\n', {'set': {'c': 1}},
                 'not valid YAML at line 2 column 2', id='yaml-does-not-parse'),
    pytest.param('kubetrace.tracing.toml_edit', '[plugins\nx = 1\n', {'set': {'c': 1}},
                 'not valid TOML at line 1', id='toml-does-not-parse'),
    pytest.param('kubetrace.tracing.yaml_edit', 'a: scalar\n', {'set': {'a.b': 1}},
                 "key path crosses a scalar: a holds a string ('scalar')", id='crosses-a-scalar'),
    pytest.param('kubetrace.tracing.yaml_edit', 'items:\n- name: a\n', {'set': {'items[name=b].x': 1}},
                 'items[name=b]: no item has name=b', id='selector-matches-nothing'),
    pytest.param('kubetrace.tracing.yaml_edit', 'items:\n- name: a\n- name: a\n', {'set': {'items[name=a].x': 1}},
                 'items[name=a]: 2 items have name=a', id='selector-matches-two'),
    pytest.param('kubetrace.tracing.toml_edit', 'ratio = 1.0\n', {'set': {'ratio': 'fast'}},
                 "ratio holds a float (1.0); 'fast' is a string", id='wrong-type'),
    pytest.param('kubetrace.tracing.static_pod', (KUBEADM / 'kube-apiserver.yaml').read_text(),
                 {'container': 'etcd', 'flags': {'v': 2}},
                 "has no container named 'etcd' (containers: kube-apiserver)", id='no-such-container'),
    pytest.param('kubetrace.tracing.static_pod', (KUBEADM / 'kube-apiserver.yaml').read_text().replace(
        '    - --secure-port=6443\n', '    - --feature-gates=A=true,B\n    - --secure-port=6443\n'),
        {'container': 'kube-apiserver', 'feature_gates': {'APIServerTracing': True}},
        "--feature-gates=A=true,B is malformed at 'B'", id='malformed-feature-gates'),
    pytest.param('kubetrace.tracing.yaml_edit', 'a: {b: 1,\n    c: 2}\n', {'set': {'a.b': 3}},
                 "a.b cannot be written onto the file's own lines", id='would-rewrite-other-lines'),
    pytest.param('kubetrace.tracing.yaml_edit', '{"a": 1, "a": 2}\n', {'set': {'b': 1}},
                 'has the key "a" twice in one object', id='json-key-twice'),
]


@pytest.mark.parametrize('module, text, args, message', BAD_INPUT)
def test_bad_input_fails_naming_file_and_key_and_keeps_every_byte(play, tmp_path, module, text, args, message):
    (tmp_path / 'files').mkdir()
    path = tmp_path / 'files' / 'target'
    path.write_text(text)
    before = snapshot(path)
    run = play(module, dict(args, path=str(path), backup=True, backup_dir=str(tmp_path / 'backups')))
    assert run.results[0]['status'] == 'failed'
    assert run.result['msg'].startswith(str(path) + ': ')
    assert message in run.result['msg']
    assert snapshot(path) == before
    assert os.listdir(path.parent) == ['target'] and not (tmp_path / 'backups').exists()


def test_missing_file_without_create(play, tmp_path):
    path = tmp_path / 'absent.yaml'
    run = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'set': {'a': 1}})
    assert run.result['msg'] == '%s: file does not exist; set create: true to create it, or fix path' % path
    assert not path.exists()


def root_owned_copy(folder, fixture, mode):
    """A copy of a kubeadm fixture in a root-owned folder the unprivileged node user can enter."""
    folder.mkdir()
    path = folder / fixture
    shutil.copy(KUBEADM / fixture, path)
    path.chmod(mode)
    return path


@pytest.mark.parametrize('module, fixture, mode, args, denied', [
    ('kubetrace.tracing.static_pod', 'kube-apiserver.yaml', 0o600,
     {'container': 'kube-apiserver', 'flags': {'v': 2}}, 'reading it'),
    ('kubetrace.tracing.yaml_edit', 'kubelet-config.yaml', 0o644, {'set': TRACING}, 'writing in it'),
])
def test_permission_denied_as_an_unprivileged_user(play, node, module, fixture, mode, args, denied):
    path = root_owned_copy(node.folder / denied.split()[0], fixture, mode)
    before = snapshot(path)
    run = play(module, dict(args, path=str(path)), as_nobody=True)
    assert run.results[0]['status'] == 'failed'
    where = path if denied == 'reading it' else path.parent
    assert run.result['msg'].startswith('%s: permission denied %s' % (where, denied))
    assert 'become: true' in run.result['msg']
    assert snapshot(path) == before
