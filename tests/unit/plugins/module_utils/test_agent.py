"""What the node agent's metrics say about its queue and the spans it sent."""

from __future__ import annotations

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _agent

METRICS = '''# HELP otelcol_exporter_queue_size Current size of the retry queue (in batches).
# TYPE otelcol_exporter_queue_size gauge
otelcol_exporter_queue_size{data_type="traces",exporter="otlp_grpc/backend",service_name="otel-agent"} 12
otelcol_exporter_queue_capacity{data_type="traces",exporter="otlp_grpc/backend"} 5000
otelcol_exporter_sent_spans_total{exporter="otlp_grpc/backend"} 1234
otelcol_exporter_send_failed_spans_total{exporter="otlp_grpc/backend"} 7
otelcol_receiver_accepted_spans_total{receiver="otlp",transport="grpc"} 1000
otelcol_receiver_accepted_spans_total{receiver="otlp",transport="http"} 253
'''


def test_counters_are_read_and_series_added_up():
    assert _agent.counters(METRICS) == {'queue_size': 12, 'queue_capacity': 5000, 'sent_spans': 1234,
                                        'send_failed_spans': 7, 'enqueue_failed_spans': 0, 'received_spans': 1253}


@pytest.mark.parametrize('text', ['', None, 'otelcol_exporter_queue_sizes 3\n'])
def test_missing_metrics_count_zero(text):
    assert _agent.counters(text)['queue_size'] == 0


TLS = {'ca_file': '/etc/otel-agent/tls/ca.crt', 'cert_file': '/etc/otel-agent/tls/client.crt',
       'key_file': '/etc/otel-agent/tls/client.key'}


def test_exports_of_an_agent_that_sends_to_the_backend():
    config = {'exporters': {'otlp_grpc/backend': {'endpoint': '[fd00::2]:4317',
                                                  'tls': dict(TLS, server_name_override='jaeger.example')}}}
    assert _agent.exports(config) == [dict(TLS, kind='backend', endpoint='[fd00::2]:4317', host='fd00::2', port=4317,
                                           server_name='jaeger.example')]


def test_exports_of_an_agent_that_balances_over_gateways():
    static = {'exporters': {'load_balancing/gateways': {
        'protocol': {'otlp': {'tls': TLS}}, 'resolver': {'static': {'hostnames': ['10.0.0.7:4317', '10.0.0.8:4317']}}}}}
    assert [(peer['kind'], peer['host'], peer['port'], peer['server_name'], peer['cert_file'])
            for peer in _agent.exports(static)] == [('gateway', '10.0.0.7', 4317, '10.0.0.7', TLS['cert_file']),
                                                    ('gateway', '10.0.0.8', 4317, '10.0.0.8', TLS['cert_file'])]
    dns = {'exporters': {'load_balancing/gateways': {
        'protocol': {'otlp': {'tls': {'ca_file': TLS['ca_file'], 'server_name_override': 'gw.example'}}},
        'resolver': {'dns': {'hostname': 'gw.example', 'port': '4317'}}}}}
    assert _agent.exports(dns) == [{'kind': 'gateways', 'endpoint': 'gw.example:4317', 'host': 'gw.example',
                                    'port': 4317, 'server_name': 'gw.example', 'ca_file': TLS['ca_file'],
                                    'cert_file': None, 'key_file': None}]


@pytest.mark.parametrize('config', [None, {}, {'exporters': {'debug': {}}}])
def test_exports_of_a_configuration_without_a_peer_are_none(config):
    assert _agent.exports(config) == []
