"""explain_spans against a real Jaeger on loopback: it keeps the traces of the flow's pods, waits while a pod has no
sync yet (its kubelet's batch may come after everything else), and ignores explain's own copies."""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
import urllib.request

import jaeger
import pytest


def send(ports, service, attributes, trace_id=None, name='syncPod'):
    trace_id = trace_id or os.urandom(16).hex()
    body = jaeger.otlp_trace(service, trace_id, os.urandom(8).hex(), time.time_ns() - 5_000_000,
                             time.time_ns() - 2_000_000, name=name)
    body['resourceSpans'][0]['scopeSpans'][0]['spans'][0]['attributes'] = [
        {'key': key, 'value': {'stringValue': value}} for key, value in attributes.items()]
    request = urllib.request.Request('http://127.0.0.1:%d/v1/traces' % ports['otlp_http'], json.dumps(body).encode(),
                                     headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200
    return trace_id


@pytest.fixture(scope='module')
def backend():
    running = jaeger.running(jaeger.binary())
    ports = running.__enter__()  # pylint: disable=unnecessary-dunder-call
    try:
        yield ports
    finally:
        running.__exit__(None, None, None)


def since():
    return (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5)).strftime('%Y-%m-%dT%H:%M:%SZ')


def ask(play, backend, **args):
    return play('kubetrace.tracing.explain_spans', dict({
        'query_url': 'http://127.0.0.1:%d' % backend['query_http'], 'since': since(), 'settle': 1, 'interval': 0.5,
        'timeout': 20}, **args), check=True).result


def test_a_pods_sync_that_comes_late_is_waited_for(play, backend):
    early, late = os.urandom(16).hex(), os.urandom(16).hex()
    audit = send(backend, 'apiserver', {'audit-id': early})
    threading.Timer(4, send, (backend, 'kubelet', {'k8s.pod.uid': late})).start()
    result = ask(play, backend, audit_ids=[early], pod_uids=[late])
    assert result['settled'] is True and result['waited'] >= 4
    assert {span['service'] for span in result['spans']} == {'apiserver', 'kubelet'}
    assert audit in {span['trace_id'] for span in result['spans']}


def test_a_pod_that_never_syncs_ends_at_the_timeout_unsettled(play, backend):
    result = ask(play, backend, pod_uids=[os.urandom(16).hex()], timeout=3)
    assert result['settled'] is False and result['spans'] == []


def test_explains_own_copies_are_not_its_sources(play, backend):
    uid = os.urandom(16).hex()
    native = send(backend, 'kubelet', {'k8s.pod.uid': uid})
    send(backend, 'kubelet', {'k8s.pod.uid': uid, 'kubetrace.source.trace_id': native})
    result = ask(play, backend, pod_uids=[uid])
    assert {span['trace_id'] for span in result['spans']} == {native}
