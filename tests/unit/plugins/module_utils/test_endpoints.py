"""The backend's address as the components write it, and what is refused."""

from __future__ import annotations

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _endpoints
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError


@pytest.mark.parametrize('host, port, expected', [
    ('10.0.0.5', 4317, '10.0.0.5:4317'),
    ('fd00::5', '4317', '[fd00::5]:4317'),
    ('[fd00::5]', 4317, '[fd00::5]:4317'),
    ('FD00:0:0::5', 4318, '[fd00::5]:4318'),
    ('jaeger.example.org', 4317, 'jaeger.example.org:4317'),
    ('jaeger1', 4317, 'jaeger1:4317'),
])
def test_host_port(host, port, expected):
    assert _endpoints.host_port(host, port) == expected


def test_url_and_bare_host():
    assert _endpoints.url('fd00::5', 4318) == 'http://[fd00::5]:4318'
    assert _endpoints.bare_host('[fd00::5]') == 'fd00::5'
    assert _endpoints.bare_host('10.0.0.5') == '10.0.0.5'


@pytest.mark.parametrize('host, port, message', [
    ('http://10.0.0.5', 4317, "not 'http://10.0.0.5'; write it without the scheme"),
    ('10.0.0.5:4317', 4317, 'write it without the port'),
    ('jaeger/otlp', 4317, 'write it without a path'),
    ('', 4317, "not ''; write it as 10.0.0.5, fd00::5 or jaeger.example.org"),
    ('fd00::5::1', 4317, "not 'fd00::5::1'"),
    ('-bad.example', 4317, "not '-bad.example'"),
    ('10.0.0.5', 0, 'kubelet_tracing_port must be a port from 1 to 65535, not 0'),
    ('10.0.0.5', 'many', "kubelet_tracing_port must be a port from 1 to 65535, not 'many'"),
    ('10.0.0.5', True, 'kubelet_tracing_port must be a port from 1 to 65535, not True'),
])
def test_what_is_refused_says_what_to_write(host, port, message):
    with pytest.raises(EditError, match=message.replace('(', r'\(').replace(')', r'\)')):
        _endpoints.host_port(host, port, 'kubelet_tracing_backend')


@pytest.mark.parametrize('agent, groups, expected', [
    (True, ['kube_node'], '127.0.0.1'),
    ('true', ['etcd'], '127.0.0.1'),
    ('yes', ['kube_control_plane', 'k8s_cluster'], '127.0.0.1'),
    (True, ['jaeger'], '10.0.0.5'),          # a host that runs no agent sends to the backend itself
    (True, [], '10.0.0.5'),
    (False, ['kube_node'], '10.0.0.5'),      # direct mode
    ('off', ['kube_node'], '10.0.0.5'),
])
def test_span_destination(agent, groups, expected):
    assert _endpoints.span_destination(agent, '10.0.0.5', groups) == expected


def test_span_destination_refuses_a_flag_that_is_not_one():
    with pytest.raises(EditError, match='kubetrace_agent must be true or false'):
        _endpoints.span_destination('maybe', '10.0.0.5', ['kube_node'])
