"""component_facts against real programs: containerd daemons from Debian and from source, kubeadm manifests."""

from __future__ import annotations

import shutil

import containerd
import pytest

from testpaths import FIXTURES

SOURCE_VERSION = 'v2.2.9'


@pytest.fixture(scope='module')
def manifests(tmp_path_factory):
    folder = tmp_path_factory.mktemp('manifests')
    for name in ('kube-apiserver.yaml', 'etcd.yaml'):
        shutil.copy(FIXTURES / 'kubeadm' / 'v1.37.2' / name, folder / name)
    (folder / '.kubetrace.kube-apiserver.yaml.tmp').write_text('image: registry.k8s.io/kube-apiserver:v9.9.9\n')
    return folder


def facts(play, folder, address, manifests, config='/nonexistent/config.toml'):
    run = play('kubetrace.tracing.component_facts', {
        'containerd_address': address, 'search_paths': [str(folder / 'bin')],
        'manifest_dir': str(manifests), 'containerd_config': config})
    assert run.results[0]['status'] == 'ok', run.result
    return run.result['ansible_facts']['kubetrace_components']


def test_debian_12_containerd_has_no_tracing_plugin(play, manifests):
    folder = containerd.debian('bookworm')
    with containerd.running(folder) as address:
        found = facts(play, folder, address, manifests)
    assert found['containerd']['version'] == '1.6.20'
    assert found['containerd']['runs_as'] == 'installed' and found['containerd']['present'] is True
    assert found['containerd']['tracing_plugin'] is False
    assert found['containerd']['tracing_plugin_error'] is None


def test_debian_13_containerd_with_otel_variables_has_both_plugins_ok(play, manifests, tmp_path):
    folder = containerd.debian('trixie')
    config = tmp_path / 'config.toml'
    config.write_text((FIXTURES / 'containerd' / 'config-default-1.7.24.toml').read_text())
    with containerd.running(folder, env={'OTEL_EXPORTER_OTLP_ENDPOINT': 'http://127.0.0.1:9',
                                         'OTEL_TRACES_SAMPLER': 'always_off'}) as address:
        found = facts(play, folder, address, manifests, str(config))
    assert found['containerd']['version'] == '1.7.24'
    assert found['containerd']['tracing_plugin'] is True
    assert found['containerd']['tracing_plugin_status'] == {'otlp': 'ok', 'tracing': 'ok'}
    assert found['containerd']['config'] == str(config) and found['containerd']['config_version'] == 2


def test_containerd_2_from_source_lists_its_plugins_as_skipped_until_configured(play, manifests):
    folder = containerd.source(SOURCE_VERSION)
    with containerd.running(folder) as address:
        found = facts(play, folder, address, manifests)
    assert found['containerd']['version'] == SOURCE_VERSION.lstrip('v')
    assert found['containerd']['tracing_plugin'] is True
    assert found['containerd']['tracing_plugin_status'] == {'otlp': 'skip', 'tracing': 'skip'}


def test_static_pods_and_absent_components(play, manifests, tmp_path):
    folder = containerd.debian('bookworm')
    found = facts(play, folder, str(tmp_path / 'no.sock'), manifests)
    assert found['kube_apiserver'] == dict(present=True, version='1.37.2', runs_as='static_pod', binary=None,
                                           manifest=str(manifests / 'kube-apiserver.yaml'), unit=None,
                                           audit_policy_file=None, audit_log_path=None)
    assert found['etcd']['runs_as'] == 'static_pod' and found['etcd']['version'] == '3.7.0'
    for absent in ('kubelet', 'crio'):
        assert found[absent]['present'] is False and found[absent]['runs_as'] == 'absent'
    assert found['containerd']['tracing_plugin'] is None
    assert found['containerd']['tracing_plugin_error'] == 'containerd is not running (no socket at %s)' % (
        tmp_path / 'no.sock')


def test_real_containerd_validates_the_candidate(play, tmp_path):
    binary = containerd.source(SOURCE_VERSION) / 'bin' / 'containerd'
    path = tmp_path / 'config.toml'
    path.write_text((FIXTURES / 'containerd' / 'config-default-2.2.9.toml').read_text())
    before = path.read_bytes()
    validate = '%s --config %%s config dump' % binary
    refused = play('kubetrace.tracing.toml_edit', {'path': str(path), 'set': {'version': 99}, 'validate': validate})
    assert refused.results[0]['status'] == 'failed'
    assert 'validate (%s) refused the new content' % validate in refused.result['msg']
    assert 'version' in refused.result['stderr'] and path.read_bytes() == before
    accepted = play('kubetrace.tracing.toml_edit', {'path': str(path), 'validate': validate, 'set': {
        "plugins.'io.containerd.internal.v1.tracing'.service_name": 'containerd'}})
    assert accepted.result['changed'] is True


@pytest.mark.parametrize('config_version', [1, 2])
def test_the_tracing_keys_are_the_ones_containerd_reads_for_the_files_version(tmp_path, config_version):
    """containerd 1.x names a plugin by its id in a version 1 file and by type and id in a version 2 file, and
    ignores the other form: its own `config dump` shows which ones it took (Debian 13's 1.7.24, which has the
    tracing plugins; Debian 12's 1.6.20 has none to show)."""
    import subprocess  # pylint: disable=import-outside-toplevel

    from ansible_collections.kubetrace.tracing.plugins.module_utils import _toml_doc, _tree, _version_policy

    keys = _version_policy.containerd_tracing_keys(config_version, '10.0.0.5:4318', 'http/protobuf', 0.5, 'mine')
    compiled = _tree.compile_paths(keys, [])
    text = _toml_doc.edit('version = %d\n' % config_version,
                          lambda doc, dry_run: _tree.apply_paths(doc, compiled, _toml_doc.STYLE, dry_run))
    (tmp_path / 'config.toml').write_text(text)
    binary = containerd.debian('trixie') / 'bin' / 'containerd'
    dump = subprocess.run([str(binary), '--config', str(tmp_path / 'config.toml'), 'config', 'dump'],
                          capture_output=True, text=True, check=True).stdout
    otlp = dump.split('[plugins."io.containerd.tracing.processor.v1.otlp"]', 1)[1].split('\n\n', 1)[0]
    tracing = dump.split('[plugins."io.containerd.internal.v1.tracing"]', 1)[1].split('\n\n', 1)[0]
    assert 'endpoint = "http://10.0.0.5:4318"' in otlp and 'protocol = "http/protobuf"' in otlp
    assert 'sampling_ratio = 0.5' in tracing and 'service_name = "mine"' in tracing


def test_an_apiservers_own_audit_policy_and_log_are_found(play, tmp_path):
    folder = tmp_path / 'manifests'
    folder.mkdir()
    text = (FIXTURES / 'kubeadm' / 'v1.37.2' / 'kube-apiserver.yaml').read_text().replace(
        '    - --authorization-mode=Node,RBAC\n', '    - --audit-log-path=/var/log/audit/kube.log\n'
        '    - --audit-policy-file=/etc/kubernetes/policy.yaml\n    - --authorization-mode=Node,RBAC\n')
    (folder / 'kube-apiserver.yaml').write_text(text)
    found = facts(play, containerd.debian('bookworm'), str(tmp_path / 'no.sock'), folder)
    assert found['kube_apiserver']['audit_policy_file'] == '/etc/kubernetes/policy.yaml'
    assert found['kube_apiserver']['audit_log_path'] == '/var/log/audit/kube.log'
