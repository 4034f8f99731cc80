"""jaeger_traces against a real Jaeger on loopback: spans of two services sent over OTLP, the summary and the
link between them, the wait for spans that come later, and a query API without api_v3."""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
import urllib.request

import jaeger
import pytest


def send(ports, service, trace_id, span_id, parent='', kind=2, host='node2'):
    body = jaeger.otlp_trace(service, trace_id, span_id, time.time_ns() - 5_000_000, time.time_ns() - 2_000_000,
                             name='runtime.v1.RuntimeService/StartContainer')
    resource_spans = body['resourceSpans'][0]
    resource_spans['resource']['attributes'].append({'key': 'host.name', 'value': {'stringValue': host}})
    span = resource_spans['scopeSpans'][0]['spans'][0]
    span.update(parentSpanId=parent, kind=kind)
    request = urllib.request.Request('http://127.0.0.1:%d/v1/traces' % ports['otlp_http'], json.dumps(body).encode(),
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200


@pytest.fixture(scope='module')
def backend():
    running = jaeger.running(jaeger.binary())
    ports = running.__enter__()  # pylint: disable=unnecessary-dunder-call
    try:
        yield ports
    finally:
        running.__exit__(None, None, None)


def test_a_kubelet_span_with_containerd_under_it_is_one_link(play, backend):
    trace, client = os.urandom(16).hex(), os.urandom(8).hex()
    send(backend, 'kubelet', trace, client, kind=3)
    send(backend, 'containerd', trace, os.urandom(8).hex(), parent=client)
    run = play('kubetrace.tracing.jaeger_traces', {
        'query_url': 'http://127.0.0.1:%d' % backend['query_http'], 'expect_services': ['kubelet', 'containerd'],
        'expect_links': [{'parent': 'kubelet', 'child': 'containerd'}], 'timeout': 30, 'interval': 0.5}, check=True)
    assert run.result['missing'] == []
    link = run.result['links']['kubelet>containerd']
    assert link['count'] >= 1 and trace in [example['trace_id'] for example in link['examples']]
    assert link['hosts']['node2']['server_spans'] >= 1 and link['hosts']['node2']['parent_reports'] is True
    assert {row['service'] for row in run.result['summary']} >= {'kubelet', 'containerd'}


def test_it_waits_for_a_service_whose_batch_comes_later(play, backend):
    trace = os.urandom(16).hex()
    later = threading.Timer(3, send, (backend, 'etcd-late', trace, os.urandom(8).hex()))
    later.start()
    run = play('kubetrace.tracing.jaeger_traces', {
        'query_url': 'http://127.0.0.1:%d' % backend['query_http'], 'expect_services': ['etcd-late'],
        'timeout': 30, 'interval': 0.5})
    later.join()
    assert run.result['missing'] == [] and run.result['elapsed'] >= 2
    assert 'etcd-late' in run.result['services']


def test_what_never_comes_is_named(play, backend):
    run = play('kubetrace.tracing.jaeger_traces', {
        'query_url': 'http://127.0.0.1:%d' % backend['query_http'], 'expect_services': ['nobody'],
        'timeout': 1, 'interval': 0.5})
    assert run.result['missing'] == ['no spans from nobody']


def test_a_query_api_without_api_v3_is_said_in_words(play):
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_args):
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        run = play('kubetrace.tracing.jaeger_traces', {'query_url': 'http://127.0.0.1:%d' % server.server_address[1]})
    finally:
        server.shutdown()
    assert run.results[0]['status'] == 'failed'
    assert 'does not serve the api_v3 query API (GET /api/v3/services answered 404)' in run.result['msg']
