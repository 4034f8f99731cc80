"""explain's join, on sources recorded from the lab (tests/fixtures/explain, see its README): the seed's
`kubectl create deployment demo --image=httpd --port=80` in explain's namespace, its objects and Events, the audit
log's lines about it and the traces of its requests and of the kubelet's syncs in Jaeger."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _flow
from testpaths import FIXTURES

HERE = FIXTURES / 'explain'
RECORDED = json.loads((HERE / 'flow.json').read_text())
ITEMS = json.loads((HERE / 'objects.json').read_text())
OBJECTS = [item for item in ITEMS if item['kind'] != 'Event']
EVENTS = [item for item in ITEMS if item['kind'] == 'Event']
AUDIT, UNREADABLE = _flow.read_audit_lines((HERE / 'audit.log').read_text().splitlines(), RECORDED['namespace'])
SPANS = _flow.flat_spans(json.loads((HERE / 'traces.json').read_text()))
COMMAND = {'text': RECORDED['command'], 'started': RECORDED['started'], 'host': RECORDED['host'],
           'namespace': RECORDED['namespace']}
POD = next(item for item in OBJECTS if item['kind'] == 'Pod')
NODE = POD['spec']['nodeName']


def flow(audit=None, spans=None, sources=None, command=None, objects=None, events=None):
    """The recorded flow, with any source replaced."""
    return _flow.join(command or COMMAND, OBJECTS if objects is None else objects, EVENTS if events is None else events,
                      AUDIT if audit is None else audit, SPANS if spans is None else spans, sources)


def kinds(steps):
    return [step['kind'] for step in steps if step['parent'] == 0]


def test_the_audit_log_gives_who_made_each_request_to_the_microsecond():
    assert UNREADABLE == 0
    made = [(entry['verb'], entry['resource'], entry['subresource'], _flow._short_user(entry['user'], entry['user_agent']))
            for entry in AUDIT]
    assert ('create', 'deployments', None, 'kubernetes-admin (kubectl)') in made
    assert ('create', 'replicasets', None, 'deployment-controller') in made
    assert ('create', 'pods', None, 'replicaset-controller') in made
    assert ('create', 'pods', 'binding', 'kube-scheduler') in made
    binding = next(entry for entry in AUDIT if entry['subresource'] == 'binding')
    assert binding['node'] == NODE
    assert any(entry['subresource'] == 'status' and entry['ready'] for entry in AUDIT)
    assert all(len(entry['start'].split('.')[1]) == 7 for entry in AUDIT)      # 2026-...:01.123456Z


def test_the_flow_runs_in_causal_order_from_the_command_to_pod_ready():
    steps = flow()['steps']
    top = kinds(steps)
    assert top[:2] == ['wait', 'create'] and top[-1] == 'ready'      # kubectl's own start first
    order = [top.index(kind) for kind in ('create', 'bind', 'sync', 'ready')]
    assert order == sorted(order)
    creates = [step['what'] for step in steps if step['kind'] == 'create']
    assert [what.split(' created ')[1].split()[0] for what in creates] == ['Deployment', 'ReplicaSet', 'Pod']
    assert creates[1].startswith('deployment-controller') and creates[2].startswith('replicaset-controller')
    bind = next(step for step in steps if step['kind'] == 'bind')
    assert bind['what'].endswith('to %s' % NODE) and bind['source'] == 'audit'
    waits = [step for step in steps if step['kind'] == 'wait']
    assert {step['what'].split(':')[0] for step in waits} == {
        'kubectl', 'deployment-controller', 'replicaset-controller', 'kube-scheduler', 'kubelet on %s' % NODE}
    assert all(step['end'] >= step['start'] for step in steps)
    top_level = [step for step in steps if step['parent'] == 0]
    assert all(b['start'] >= a['start'] for a, b in zip(top_level, top_level[1:]) if b['kind'] != 'create')


def test_native_spans_hang_under_their_step_apiserver_into_etcd_and_kubelet_into_containerd():
    steps = flow()['steps']
    by_id = {step['id']: step for step in steps}

    def step_of(step):
        while by_id[step['parent']]['parent'] != 0 and by_id[step['parent']]['parent'] is not None:
            step = by_id[step['parent']]
        return by_id[step['parent']]
    spans = [step for step in steps if step['kind'] == 'span']
    etcd = [step for step in spans if step['component'] == 'etcd']
    assert etcd and {step_of(step)['kind'] for step in etcd} <= {'create', 'bind'}
    cri = {step['span']['name'].rsplit('/', 1)[1]: step for step in spans if step['component'] == 'kubelet'}
    assert {'RunPodSandbox', 'PullImage', 'CreateContainer', 'StartContainer'} <= set(cri)
    assert 'docker.io/library/httpd:latest' in cri['PullImage']['what']
    for method in ('PullImage', 'StartContainer'):
        children = [step for step in spans if step['parent'] == cri[method]['id']]
        assert [step['component'] for step in children if step['span']['kind'] == 2] == ['containerd']
        assert step_of(cri[method])['kind'] == 'sync'
    assert flow()['services'] == ['apiserver', 'containerd', 'etcd', 'kubelet']
    assert flow()['missing'] == []


def test_the_waterfall_reads_as_steps_with_offsets_waits_and_where_the_time_went():
    lines = _flow.waterfall(flow())
    text = '\n'.join(lines)
    assert lines[0].startswith(RECORDED['command'])
    assert 'kubernetes-admin (kubectl) created Deployment demo' in text
    assert '[waiting] kube-scheduler: watch, queue and scheduling (not recorded)' in text
    assert 'bound Pod %s to %s' % (POD['metadata']['name'], NODE) in text
    assert 'PullImage: pulls the image docker.io/library/httpd:latest' in text
    assert 'Pod %s is Ready on %s' % (POD['metadata']['name'], NODE) in text
    assert not [line for line in lines[2:] if line.split() and line.split()[0].startswith('-')]
    summary = next(line for line in lines if line.startswith('Ready '))
    assert summary.count('%)') == 3
    assert not [line for line in lines if line.startswith('Missing')]
    nested = next(line for line in lines if 'containerd' in line and 'StartContainer' in line)
    parent = next(line for line in lines if 'kubelet' in line and 'StartContainer: starts the container' in line)
    assert nested.index('runtime.v1') > parent.index('runtime.v1')      # indented under the kubelet's call
    assert not [line for line in lines if 'pkg.unpack' in line]          # containerd's internals: in Jaeger only


def test_the_flow_as_one_otlp_trace_keeps_every_native_span_with_its_source():
    made = flow()
    trace = _flow.otlp(made)
    spans = [(part, span) for part in trace['body']['resourceSpans'] for scope in part['scopeSpans']
             for span in scope['spans']]
    assert {span['traceId'] for _part, span in spans} == {trace['trace_id']}
    ids = {span['spanId'] for _part, span in spans}
    assert len(ids) == len(spans) == len(made['steps'])
    assert [span for _part, span in spans if span.get('parentSpanId', ids.__iter__().__next__()) not in ids] == []
    services = {_flow._attributes(part['resource'])['service.name'] for part, _span in spans}
    assert services == {'kubetrace', 'apiserver', 'etcd', 'kubelet', 'containerd'}
    copies = [span for _part, span in spans if 'kubetrace.source.trace_id' in _flow._attributes(span)]
    assert len(copies) == len([step for step in made['steps'] if step.get('span')])
    sources = {_flow._attributes(span)['kubetrace.source.trace_id'] for span in copies}
    assert sources <= {span['trace_id'] for span in SPANS}
    assert _flow.otlp(flow()) == trace                      # the same flow again is the same trace


def test_the_json_document_has_steps_parents_times_and_sources():
    document = _flow.document(flow())
    json.dumps(document)
    assert document['steps'][0]['kind'] == 'command'
    assert all(set(step) >= {'id', 'parent', 'start', 'end', 'offset_seconds', 'seconds', 'source'}
               for step in document['steps'])
    assert {step['source'] for step in document['steps']} == {'command', 'audit', 'gap', 'spans'}


def without(services):
    return [span for span in SPANS if span['service'] not in services]


@pytest.mark.parametrize('case, change, words', [
    ('no audit log', dict(audit=[], sources={'audit': 'kube-apiserver on cp1 has no --audit-log-path'}),
     'no audit log (kube-apiserver on cp1 has no --audit-log-path): the steps come from the objects'),
    ('Jaeger unreachable', dict(spans=[], sources={'jaeger': 'cannot ask Jaeger at http://127.0.0.1:16686: refused'}),
     'no spans: cannot ask Jaeger at http://127.0.0.1:16686: refused'),
    ('apiserver below full sampling', dict(spans=without({'apiserver', 'etcd'})),
     'kube-apiserver samples below 1000000 per million (apiserver_tracing_sampling_rate_per_million)'),
    ('kubelet below full sampling', dict(spans=without({'kubelet', 'containerd'})),
     'no kubelet spans for Pod'),
    ("Debian's containerd", dict(spans=without({'containerd'})),
     "sent no spans under the kubelet's CRI calls: it was built without the gRPC server instrumentation"),
])
def test_each_missing_source_is_named_with_how_to_add_it(case, change, words):
    made = flow(**change)
    assert [line for line in made['missing'] if words in line], (case, made['missing'])
    assert any(line.startswith('Missing: ') and words in line for line in _flow.waterfall(made))


def test_without_the_audit_log_the_objects_and_events_give_the_steps_to_the_second():
    made = flow(audit=[], spans=[], sources={'jaeger': 'no host in the jaeger group'})
    lines = _flow.waterfall(made)
    assert kinds(made['steps'])[:3] == ['create', 'create', 'create']
    assert any(step['kind'] == 'event' and 'Pulling' in step['what'] or 'image' in step['what']
               for step in made['steps'] if step['kind'] == 'event')
    assert not [step for step in made['steps'] if step['kind'] == 'wait']     # no gap measured in whole seconds
    assert '~s: known to the second only (from the objects or their Events)' in lines
    assert next(line for line in lines if line.startswith('Ready ')).startswith('Ready about ')


def test_a_node_whose_clock_is_off_is_named_and_no_gap_goes_negative():
    skewed = copy.deepcopy(SPANS)
    for span in skewed:
        if span['host'] == NODE:
            span['start'] -= 30 * _flow.SECOND
            span['end'] -= 30 * _flow.SECOND
    made = flow(spans=skewed)
    assert [line for line in made['warnings'] if line.startswith('the clock of %s looks off' % NODE)]
    assert all(step['end'] >= step['start'] for step in made['steps'] if step['kind'] == 'wait')
    assert kinds(made['steps']).index('bind') < kinds(made['steps']).index('sync')


def test_an_existing_object_is_explained_from_its_own_creation():
    command = dict(COMMAND, text='explain deployment/demo', roots=['deployment/demo'])
    assert kinds(flow(command=command)['steps'])[-1] == 'ready'
    with pytest.raises(_flow.FlowError, match='none of deployment/web is among the objects found: Deployment/demo'):
        flow(command=dict(command, roots=['deployment/web']))


@pytest.mark.parametrize('bad, words', [
    ([{'kind': 'Pod', 'metadata': {'name': 'x'}}], 'an object without metadata.uid'),
    ([], 'no objects to explain in namespace'),
])
def test_objects_that_kubectl_does_not_give_are_refused(bad, words):
    with pytest.raises(_flow.FlowError, match=words):
        flow(objects=bad)


def test_an_answer_that_is_not_api_v3_is_refused():
    with pytest.raises(_flow.FlowError, match='not an api_v3 traces answer'):
        _flow.flat_spans([['nonsense']])


@pytest.mark.parametrize('text, nanos', [
    ('2026-12-01T10:00:00Z', 1796119200 * 10 ** 9),
    ('2026-12-01T10:00:00.123456Z', 1796119200 * 10 ** 9 + 123456000),
    ('2026-12-01T10:00:00.123456789Z', 1796119200 * 10 ** 9 + 123456789),
    ('2026-12-01T11:00:00+01:00', 1796119200 * 10 ** 9),
    ('2026-12-01 10:00:00.5', 1796119200 * 10 ** 9 + 500000000),
])
def test_times_are_read_to_the_nanosecond(text, nanos):
    assert _flow.parse_time(text) == nanos


def test_a_time_that_is_not_rfc_3339_is_refused():
    with pytest.raises(_flow.FlowError, match="'yesterday' is not an RFC 3339 time"):
        _flow.parse_time('yesterday')


def test_audit_lines_of_other_namespaces_and_broken_lines_are_left_out():
    lines = (HERE / 'audit.log').read_text().splitlines()
    other = [line.replace(RECORDED['namespace'], 'elsewhere') for line in lines]
    marker = '"namespace":"%s"' % RECORDED['namespace']
    cut = lines[0][:lines[0].index(marker) + len(marker) + 5]      # a line being written while the log rotates
    entries, unreadable = _flow.read_audit_lines(other + lines[:1] + [cut], RECORDED['namespace'])
    assert unreadable == 1
    assert len(entries) == len(_flow.read_audit_lines(lines[:1], RECORDED['namespace'])[0])


def test_pods_state_says_ready_and_names_containers_that_will_not_start():
    assert _flow.pods_state([POD])['ready'] is True
    assert _flow.pods_state([])['ready'] is False
    stuck = copy.deepcopy(POD)
    stuck['status']['conditions'] = []
    stuck['status']['containerStatuses'][0]['state'] = {'waiting': {'reason': 'ImagePullBackOff',
                                                                    'message': 'Back-off pulling image "nope"'}}
    state = _flow.pods_state([stuck])
    assert state['ready'] is False
    assert state['stuck'] == ['Pod %s on %s: container httpd (docker.io/library/httpd:latest): ImagePullBackOff: Back-off pulling image "nope"'
                              % (POD['metadata']['name'], NODE)]
