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
