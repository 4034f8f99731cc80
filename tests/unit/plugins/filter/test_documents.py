from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.filter.documents import key_paths_present
from testpaths import FIXTURES

OTLP = 'plugins."io.containerd.tracing.processor.v1.otlp"'
TRACING = 'plugins."io.containerd.internal.v1.tracing"'


@pytest.mark.parametrize('version, present', [('1.6.20', []), ('1.7.24', [OTLP, TRACING]), ('2.4.2', [])])
def test_which_tracing_tables_a_real_default_config_has(version, present):
    text = (FIXTURES / 'containerd' / ('config-default-%s.toml' % version)).read_text()
    assert key_paths_present(text, [OTLP, TRACING]) == present


def test_yaml_and_empty_documents():
    text = (FIXTURES / 'kubeadm' / 'v1.37.2' / 'kubelet-config.yaml').read_text()
    assert key_paths_present(text, ['tracing', 'authentication.x509', 'healthzPort'], 'yaml') == \
        ['authentication.x509', 'healthzPort']
    assert key_paths_present('', ['a'], 'yaml') == [] and key_paths_present('', ['a']) == []


@pytest.mark.parametrize('text, fmt, message', [('a = [', 'toml', 'not valid TOML'), ('a: 1', 'json', 'toml or yaml')])
def test_errors(text, fmt, message):
    with pytest.raises(AnsibleFilterError, match=message):
        key_paths_present(text, ['a'], fmt)


def test_yaml_text_edit_changes_configmap_yaml_minimally_and_refuses_bad_paths():
    from ansible_collections.kubetrace.tracing.plugins.filter.documents import yaml_text_edit
    text = (FIXTURES / 'kubeadm' / 'uploaded-v1.37.2' / 'kubelet.yaml').read_text()
    after = yaml_text_edit(text, {'tracing.endpoint': 'jaeger:4317', 'tracing.samplingRatePerMillion': 100})
    assert after.count('\n') == text.count('\n') + 3 and 'tracing:\n  endpoint: jaeger:4317\n' in after
    assert yaml_text_edit(after, unset=['tracing']) == text
    with pytest.raises(AnsibleFilterError, match='yaml_text_edit: '):
        yaml_text_edit(text, {'healthzPort.x': 1})


def test_kubeadm_cluster_configuration_filter_reports_bad_documents():
    from ansible_collections.kubetrace.tracing.plugins.filter.documents import kubeadm_cluster_configuration
    with pytest.raises(AnsibleFilterError, match='kubeadm_cluster_configuration: not a kubeadm ClusterConfiguration'):
        kubeadm_cluster_configuration('kind: Pod\n', 'apiServer', {'a': 'b'})
