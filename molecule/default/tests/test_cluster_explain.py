"""explain.yml on the lab's cluster: the seed's `kubectl create deployment demo --image=httpd --port=80` run by
explain on cp1 in a namespace of its own, its flow printed, written as JSON and pushed to Jaeger as one trace;
its dry run; an existing object; Jaeger out of reach. Runs after test_cluster.py (the seed) and before the
upgrade and disable tests (file order)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
LAB = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab'
TRACE = '''
import json, sys, urllib.request
print(json.dumps(json.load(urllib.request.urlopen("http://127.0.0.1:16686/api/v3/traces/" + sys.argv[1], timeout=30))))
'''


def explain(*args):
    run = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(PROJECT / 'playbooks' / 'explain.yml'), *args],
                         capture_output=True, text=True, check=False, cwd=PROJECT,
                         env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0'))
    print(run.stdout[-6000:], run.stderr[-2000:])
    return run


def on(host, *command):
    return subprocess.run(['ssh', '-F', str(LAB / 'ssh_config'), host, *command], capture_output=True, text=True,
                          check=False, timeout=120)


@pytest.fixture(scope='module')
def explained():
    """explain.yml as a user runs it, with the JSON document written beside the lab."""
    path = LAB / 'explain.json'
    run = explain('-e', json.dumps({'kubetrace_explain_format': 'json', 'kubetrace_explain_json_path': str(path)}))
    assert run.returncode == 0, run.stdout[-3000:]
    return run.stdout, json.loads(path.read_text())


def test_explain_prints_the_chain_from_deployment_to_ready_pod_on_a_worker(explained):
    output, flow = explained
    pod = next(step for step in flow['steps'] if step['kind'] == 'ready')['what'].split()[1]
    for words in ['kubernetes-admin (kubectl) created Deployment demo', 'deployment-controller created ReplicaSet demo-',
                  'replicaset-controller created Pod demo-', 'kube-scheduler bound Pod %s to node2' % pod,
                  '[waiting] kube-scheduler: watch, queue and scheduling (not recorded)',
                  'kubelet on node2 syncs Pod %s (syncPod)' % pod,
                  'runtime.v1.ImageService/PullImage: pulls the image docker.io/library/httpd:latest',
                  'runtime.v1.RuntimeService/StartContainer: starts the container',
                  'Pod %s is Ready on node2' % pod, 'after the command. Where the time went: ']:
        assert words in output, words
    assert 'Missing:' not in output
    assert flow['missing'] == [] and flow['seconds_to_ready'] > 0


def test_the_flow_is_one_trace_in_jaeger_with_spans_of_all_four_components(explained):
    output, flow = explained
    trace_id = output.split('The flow is trace ')[1].split()[0]
    answer = on('jaeger1', 'python3', '-c', shlex.quote(TRACE), trace_id)
    assert answer.returncode == 0, answer.stderr
    spans, services = {}, {}
    for part in json.loads(answer.stdout)['result']['resourceSpans']:
        service = next(a['value']['stringValue'] for a in part['resource']['attributes'] if a['key'] == 'service.name')
        for scope in part['scopeSpans']:
            for span in scope['spans']:
                assert span['traceId'] == trace_id
                spans[span['spanId']] = span
                services[span['spanId']] = service
    assert set(services.values()) >= {'kubetrace', 'apiserver', 'etcd', 'kubelet', 'containerd'}
    for method in ('runtime.v1.ImageService/PullImage', 'runtime.v1.RuntimeService/StartContainer'):
        calls = [ident for ident, span in spans.items() if span['name'] == method and services[ident] == 'kubelet']
        served = [ident for ident, span in spans.items() if span['name'] == method and services[ident] == 'containerd']
        assert calls and served and {spans[ident]['parentSpanId'] for ident in served} <= set(calls)
    copied = [span for span in spans.values()
              if any(a['key'] == 'kubetrace.source.trace_id' for a in span.get('attributes', []))]
    assert len(copied) == len([step for step in flow['steps'] if step.get('source_trace_id')])


def test_explain_deletes_its_namespace(explained):
    _output, flow = explained
    namespace = on('cp1', 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'namespace',
                   flow['namespace'], '-o', 'jsonpath={.status.phase}')
    assert namespace.returncode != 0 or namespace.stdout == 'Terminating'


def test_explain_in_check_mode_creates_nothing():
    before = on('cp1', 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'namespaces', '-o', 'name')
    run = explain('--check', '--diff')
    assert run.returncode == 0
    assert 'explain would run kubectl create deployment demo --image=httpd --port=80 in the namespace' in run.stdout
    after = on('cp1', 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'namespaces', '-o', 'name')
    assert sorted(after.stdout.split()) == sorted(before.stdout.split())


def test_an_existing_deployment_is_explained_and_kept(seed):
    _output, report = seed
    run = explain('-e', json.dumps({'kubetrace_explain_object': 'deployment/demo', 'kubetrace_explain_namespace': 'default'}))
    assert run.returncode == 0
    assert 'created Deployment demo' in run.stdout and 'is Ready on %s' % report['node'] in run.stdout
    kept = on('cp1', 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'get', 'deployment', 'demo')
    assert kept.returncode == 0


def test_jaeger_out_of_reach_is_named_and_the_flow_still_printed():
    run = explain('-e', json.dumps({'jaeger_query_endpoint': '127.0.0.1:9'}))
    assert run.returncode == 0
    assert 'Missing: no spans: cannot ask Jaeger at http://127.0.0.1:9' in run.stdout
    assert 'kube-scheduler bound Pod demo-' in run.stdout


def test_a_command_that_is_not_kubectl_is_refused_naming_the_variable():
    run = explain('-e', json.dumps({'kubetrace_explain_command': 'rm -rf /'}))
    assert run.returncode != 0
    assert 'kubetrace_explain_command must start with kubectl' in run.stdout + run.stderr    # failures may go to stderr


def test_an_image_that_cannot_be_pulled_stops_explain_naming_the_pod_node_and_cause():
    # docker.io is mirrored to the lab's registry, which has no such image
    run = explain('-e', json.dumps({'kubetrace_explain_command': 'kubectl create deployment nope --image=kubetrace-missing:1'}))
    assert run.returncode != 0
    assert re.search(r'Pod nope-\S+ on node2: container kubetrace-missing \(kubetrace-missing:1\): '
                     r'(ErrImagePull|ImagePullBackOff): ', run.stdout + run.stderr), run.stdout[-3000:]
    assert 'Delete the namespace explain made' in run.stdout          # and the namespace goes, also then
