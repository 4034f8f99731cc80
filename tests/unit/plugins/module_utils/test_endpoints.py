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


HOSTVARS = {'gw1': {'ansible_host': '10.0.0.7'}, 'gw2': {'ansible_host': 'fd00::8'}, 'gw3': {}}


def test_agent_targets_without_gateways_is_the_backend():
    assert _endpoints.agent_targets('node', '10.0.0.2', 4317, '') == [
        {'kind': 'backend', 'name': '10.0.0.2', 'host': '10.0.0.2', 'port': 4317, 'endpoint': '10.0.0.2:4317',
         'server_name': '10.0.0.2'}]
    # a gateway always sends to the backend, with the name its certificate holds
    assert _endpoints.agent_targets('gateway', 'fd00::2', '4317', 'jaeger.example', ['gw1'], HOSTVARS)[0] == {
        'kind': 'backend', 'name': 'fd00::2', 'host': 'fd00::2', 'port': 4317, 'endpoint': '[fd00::2]:4317',
        'server_name': 'jaeger.example'}


def test_agent_targets_are_each_gateway_at_its_address_or_name():
    targets = _endpoints.agent_targets('node', '10.0.0.2', 4317, '', ['gw1', 'gw2', 'gw3'], HOSTVARS, 4417)
    assert [(t['kind'], t['endpoint'], t['host'], t['server_name']) for t in targets] == [
        ('gateway', '10.0.0.7:4417', '10.0.0.7', '10.0.0.7'), ('gateway', '[fd00::8]:4417', 'fd00::8', 'fd00::8'),
        ('gateway', 'gw3:4417', 'gw3', 'gw3')]


def test_agent_targets_with_one_dns_name_for_the_gateways():
    assert _endpoints.agent_targets('node', '10.0.0.2', 4317, '', ['gw1'], HOSTVARS, 4317, 'gw.example.org') == [
        {'kind': 'gateways', 'name': 'gw.example.org', 'host': 'gw.example.org', 'port': 4317,
         'endpoint': 'gw.example.org:4317', 'server_name': 'gw.example.org'}]


@pytest.mark.parametrize('args, message', [
    (('edge', '10.0.0.2', 4317), 'otel_agent_tier must be node or gateway'),
    (('node', '10.0.0.2', 4317, '', ['gw1'], {'gw1': {'ansible_host': 'https://10.0.0.7'}}),
     'otel_agent_gateways must be a host name'),
    (('node', '10.0.0.2', 4317, '', ['gw1'], HOSTVARS, 70000), 'otel_agent_gateway_port must be a port'),
    (('node', '10.0.0.2', 4317, '', [], None, 4317, 'gw.example:4317'), 'otel_agent_gateway_dns must be a host name'),
    (('node', '10.0.0.2:4317', 4317), 'otel_agent_backend must be a host name'),
])
def test_agent_targets_refuse_what_cannot_be_dialled(args, message):
    with pytest.raises(EditError, match=message):
        _endpoints.agent_targets(*args)
