"""verify.yml's filters over Jaeger's api_v3 answers (shaped as Jaeger 2.13 returns them)."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.filter.traces import linked_spans, span_summary, span_table


def resource(service, spans, **attributes):
    attributes = dict(attributes, **{'service.name': service})
    return {'resource': {'attributes': [{'key': key, 'value': {'stringValue': value}} for key, value in attributes.items()]},
            'scopeSpans': [{'scope': {'name': 'test'}, 'spans': spans}]}


def span(trace, ident, name, parent='', end=1_764_166_980_000_000_000):
    return {'traceId': trace, 'spanId': ident, 'parentSpanId': parent, 'name': name, 'endTimeUnixNano': str(end)}


ANSWER = {'result': {'resourceSpans': [
    resource('apiserver', [span('t1', 'a1', 'POST /api/v1/namespaces'), span('t1', 'a2', 'etcdserverpb.KV/Txn', 'a1')],
             **{'service.instance.id': 'apiserver-x'}),
    resource('etcd', [span('t1', 'e1', 'etcdserverpb.KV/Txn', 'a2'), span('t2', 'e2', 'etcdserverpb.KV/Put')],
             **{'service.instance.id': 'cp1'}),
]}}


def test_summary_counts_spans_and_hosts_per_service():
    summary = span_summary([ANSWER])
    assert [(row['service'], row['hosts'], row['spans']) for row in summary] == [
        ('apiserver', ['apiserver-x'], 2), ('etcd', ['cp1'], 2)]
    assert summary[0]['newest'] == '2025-11-26T14:23:00Z'
    assert span_table(summary)[0].split() == ['service', 'hosts', 'spans', 'newest', 'span', '(UTC)']


def test_linked_spans_finds_etcd_children_of_apiserver_spans_only_in_the_same_trace():
    assert linked_spans([ANSWER], 'apiserver', 'etcd') == [
        {'trace_id': 't1', 'parent': 'etcdserverpb.KV/Txn', 'child': 'etcdserverpb.KV/Txn'}]
    assert linked_spans([ANSWER], 'etcd', 'apiserver') == []
    other_trace = {'result': {'resourceSpans': [resource('etcd', [span('t9', 'e9', 'x', 'a2')])]}}
    apiserver_only = {'result': {'resourceSpans': ANSWER['result']['resourceSpans'][:1]}}
    assert linked_spans([apiserver_only, other_trace], 'apiserver', 'etcd') == []
