"""Parsers of component_facts, over text the real programs print."""

from __future__ import annotations

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _components as c
from testpaths import FIXTURES


@pytest.mark.parametrize('output, version', [
    ('Kubernetes v1.37.2\n', '1.37.2'),
    ('etcd Version: 3.6.5\nGit SHA: Not provided (use ./build instead of go build)\nGo Version: go1.24\n', '3.6.5'),
    ('containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+b1\n', '1.6.20'),
    ('containerd github.com/containerd/containerd/v2 v2.2.9 \n', '2.2.9'),
    ('crio version 1.30.4\n', '1.30.4'),
    ('no version here', None),
])
def test_version_from_output(output, version):
    assert c.version_from_output(output) == version


def test_static_pod_images_from_real_kubeadm_manifests():
    folder = FIXTURES / 'kubeadm' / 'v1.37.2'
    images = [c.image_name_and_tag(image) for name in ('kube-apiserver.yaml', 'etcd.yaml')
              for image in c.manifest_images((folder / name).read_text())]
    assert images[0] == ('kube-apiserver', '1.37.2')
    assert images[1] == ('etcd', '3.7.0')


@pytest.mark.parametrize('image, parsed', [
    ('registry.k8s.io/etcd:3.6.5-0', ('etcd', '3.6.5')),
    ('localhost:5000/kube-apiserver', ('kube-apiserver', None)),
    ('registry.k8s.io/kube-apiserver:v1.33.1@sha256:abc', ('kube-apiserver', '1.33.1')),
])
def test_image_name_and_tag(image, parsed):
    assert c.image_name_and_tag(image) == parsed


SYSTEMCTL = '\n'.join([
    'LoadState=loaded',
    'ActiveState=active',
    'FragmentPath=/lib/systemd/system/kubelet.service',
    'DropInPaths=/etc/systemd/system/kubelet.service.d/10-kubeadm.conf',
    'ExecStart={ path=/usr/bin/kubelet ; argv[]=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS ; '
    'ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }',
    'Environment=KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf'
    '\\x20--kubeconfig=/etc/kubernetes/kubelet.conf KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml',
]) + '\n'


def test_systemctl_show_and_kubelet_flags():
    properties = c.parse_systemctl_show(SYSTEMCTL)
    assert properties['LoadState'] == 'loaded'
    assert c.unit_argv(properties)[0] == '/usr/bin/kubelet'
    words = c.environment_words(properties['Environment'])
    assert c.flag_value(words, 'config') == '/var/lib/kubelet/config.yaml'
    flags_env = (FIXTURES / 'kubeadm' / 'v1.37.2' / 'kubeadm-flags.env').read_text()
    assert c.flag_value(c.environment_words(flags_env) + ['--config-dir', '/etc/kubelet.d'],
                        'config-dir') == '/etc/kubelet.d'


def test_ctr_plugins_table():
    table = ('TYPE                                   ID        PLATFORMS      STATUS\n'
             'io.containerd.content.v1               content   -              ok\n'
             'io.containerd.internal.v1              tracing   -              ok\n'
             'io.containerd.tracing.processor.v1     otlp      -              skip\n')
    plugins = c.parse_ctr_plugins(table)
    assert c.tracing_plugins(plugins) == {'tracing_plugin': True,
                                          'tracing_plugin_status': {'otlp': 'skip', 'tracing': 'ok'}}
    assert c.tracing_plugins(c.parse_ctr_plugins(table.rsplit('\n', 2)[0]))['tracing_plugin'] is False


@pytest.mark.parametrize('text, version', [('version = 2\n[plugins]\n', 2), ('# empty\n', 1), ('  version=3', 3)])
def test_containerd_config_version(text, version):
    assert c.toml_config_version(text) == version


def test_environment_names_of_a_unit_and_an_env_file():
    assert c.environment_names('KUBELET_KUBEADM_ARGS="--node-ip=10.0.0.2" KUBELET_CONFIG_DROPIN_DIR_ALPHA=on') == {
        'KUBELET_KUBEADM_ARGS', 'KUBELET_CONFIG_DROPIN_DIR_ALPHA'}
    assert c.environment_names('"A=1" B=2\nC="x y=z"') >= {'A', 'B', 'C'}
    assert c.environment_names(None) == set()


@pytest.mark.parametrize('text, expected', [
    ('    - kube-apiserver\n    - --audit-log-path=/var/log/kubernetes/audit/audit.log\n', '/var/log/kubernetes/audit/audit.log'),
    ('    - "--audit-log-path=/var/log/a b.log"\n', '/var/log/a b.log'),
    ('    - --audit-log-maxage=7\n', None),
    (None, None),
])
def test_manifest_flag(text, expected):
    assert c.manifest_flag(text, 'audit-log-path') == expected
