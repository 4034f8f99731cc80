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
        {'trace_id': 't1', 'parent': 'etcdserverpb.KV/Txn', 'child': 'etcdserverpb.KV/Txn', 'host': 'cp1'}]
    assert linked_spans([ANSWER], 'etcd', 'apiserver') == []
    other_trace = {'result': {'resourceSpans': [resource('etcd', [span('t9', 'e9', 'x', 'a2')])]}}
    apiserver_only = {'result': {'resourceSpans': ANSWER['result']['resourceSpans'][:1]}}
    assert linked_spans([apiserver_only, other_trace], 'apiserver', 'etcd') == []


def test_child_report_tells_a_containerd_without_server_spans_from_one_whose_calls_do_not_link():
    from ansible_collections.kubetrace.tracing.plugins.module_utils import _spans  # pylint: disable=import-outside-toplevel
    kubelet = resource('kubelet', [span('k1', 'c1', 'runtime.v1.RuntimeService/RunPodSandbox', 'k0')],
                       **{'host.name': 'node2'})
    linked = resource('containerd', [dict(span('k1', 'd1', 'runtime.v1.RuntimeService/RunPodSandbox', 'c1'), kind=2)],
                      **{'host.name': 'node2'})
    debian = resource('containerd', [span('x1', 'd2', 'pkg.cri.server.PullImage')], **{'host.name': 'cp1'})
    unlinked = resource('containerd', [dict(span('y1', 'd3', 'runtime.v1.ImageService/PullImage', 'zz'),
                                            kind='SPAN_KIND_SERVER')], **{'host.name': 'node9'})
    answer = {'result': {'resourceSpans': [kubelet, linked, debian, unlinked]}}
    assert _spans.child_report([answer], 'kubelet', 'containerd') == {
        'node2': {'spans': 1, 'server_spans': 1, 'linked': 1, 'parent_reports': True},
        'cp1': {'spans': 1, 'server_spans': 0, 'linked': 0, 'parent_reports': False},
        'node9': {'spans': 1, 'server_spans': 1, 'linked': 0, 'parent_reports': False}}


def test_cri_link_line_says_per_host_what_joined_and_why_not():
    from ansible_collections.kubetrace.tracing.plugins.filter.traces import cri_link_line  # pylint: disable=import-outside-toplevel
    line = cri_link_line({'key': 'node2', 'value': {'spans': 56, 'server_spans': 17, 'linked': 17, 'parent_reports': True}})
    assert line == 'node2: 17 of its 56 containerd spans are children of kubelet spans'
    debian = cri_link_line({'key': 'cp1', 'value': {'spans': 4, 'server_spans': 0, 'linked': 0, 'parent_reports': True}})
    assert debian.startswith('cp1: containerd sends no per-call spans (4 of its own work)')
    assert "as Debian's containerd packages are" in debian
    lone = cri_link_line({'key': 'node9', 'value': {'spans': 3, 'server_spans': 3, 'linked': 0, 'parent_reports': False}})
    assert lone == 'node9: containerd traces its calls, but no kubelet spans came from this host'
    broken = cri_link_line({'key': 'node5', 'value': {'spans': 3, 'server_spans': 2, 'linked': 0, 'parent_reports': True}})
    assert broken == 'node5: containerd traces 2 calls it served, none of them under a kubelet span'


def test_a_trace_that_comes_back_for_two_services_is_counted_once():
    summary = span_summary([ANSWER, ANSWER])
    assert [(row['service'], row['spans']) for row in summary] == [('apiserver', 2), ('etcd', 2)]
