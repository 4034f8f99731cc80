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
