"""The lab as a cluster, after converge, idempotence and the side effects: nodes Ready, the control plane's
four static pods, the worker joined by TLS bootstrap, the seed's pod pulled from the lab's registry and
serving its page, the kubelet's CRI calls as parents of containerd's spans, and the faults the demo names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import testinfra

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
LAB = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab'
sys.path.insert(0, str(PROJECT / 'tests' / 'lab'))

import cluster  # noqa: E402  pylint: disable=wrong-import-position,import-error
import registry  # noqa: E402  pylint: disable=wrong-import-position,import-error

# The kubelet's CRI calls for a new pod, each of which containerd 2.x answers with a server span of the same name.
POD_START_CALLS = ['runtime.v1.RuntimeService/RunPodSandbox', 'runtime.v1.ImageService/PullImage',
                   'runtime.v1.RuntimeService/CreateContainer', 'runtime.v1.RuntimeService/StartContainer']
# Every kubelet span of the last minutes: [service, host, name, spanId, parentSpanId, traceId, k8s.pod.uid]
KUBELET_SPANS = '''
import datetime, json, sys, urllib.error, urllib.parse, urllib.request
now = datetime.datetime.now(datetime.timezone.utc)
query = urllib.parse.urlencode({"query.service_name": "kubelet", "query.num_traces": "2000",
    "query.start_time_min": (now - datetime.timedelta(minutes=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "query.start_time_max": (now + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")})
try:
    answer = json.load(urllib.request.urlopen("http://127.0.0.1:16686/api/v3/traces?" + query, timeout=30))
except urllib.error.HTTPError:
    sys.exit(0)
for resource_spans in answer["result"]["resourceSpans"]:
    resource = {a["key"]: a["value"].get("stringValue") for a in resource_spans["resource"]["attributes"]}
    for scope in resource_spans["scopeSpans"]:
        for span in scope["spans"]:
            uid = [a["value"].get("stringValue") for a in span.get("attributes", []) if a["key"] == "k8s.pod.uid"]
            print(json.dumps([resource.get("service.name"), resource.get("host.name"), span["name"], span["spanId"],
                              span.get("parentSpanId", ""), span["traceId"], (uid or [""])[0]]))
'''


def node(name):
    return testinfra.get_host('ansible://' + name, ansible_inventory=INVENTORY)


def kubectl_json(*args):
    return cluster.kubectl_json(LAB, *args)


def seed_run(*args):
    """tests/lab/seed.py with extra arguments; the CompletedProcess."""
    run = subprocess.run([sys.executable, str(PROJECT / 'tests' / 'lab' / 'seed.py'), str(LAB), *args],
                         capture_output=True, text=True, check=False)
    print(run.stdout[-2000:], run.stderr[-2000:])
    return run


def test_every_kubelet_node_is_ready_and_runs_containerd_2():
    nodes = {item['metadata']['name']: item for item in kubectl_json('get', 'nodes')['items']}
    assert sorted(nodes) == ['cp1', 'node2']
    for name, item in nodes.items():
        ready = next(c for c in item['status']['conditions'] if c['type'] == 'Ready')
        assert ready['status'] == 'True', (name, ready)
        assert item['status']['nodeInfo']['containerRuntimeVersion'] == 'containerd://2.2.9'
        assert item['status']['nodeInfo']['kubeletVersion'] == 'v1.37.2'
        assert item['spec']['podCIDR'].startswith('10.244.')
    assert 'node-role.kubernetes.io/control-plane' in nodes['cp1']['metadata']['labels']
    assert [t['effect'] for t in nodes['cp1']['spec'].get('taints', [])] == ['NoSchedule']


def test_the_worker_joined_through_tls_bootstrap():
    """kubeadm join's bootstrap token made the CSR; kube-controller-manager approved and signed it."""
    requests = kubectl_json('get', 'csr')['items']
    bootstrap = [item for item in requests if item['spec']['username'].startswith('system:bootstrap:')]
    assert bootstrap, [item['spec']['username'] for item in requests]
    conditions = [c['type'] for c in bootstrap[0]['status'].get('conditions', [])]
    assert 'Approved' in conditions and bootstrap[0]['status'].get('certificate')
    node2 = node('node2')
    assert 'client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem' in \
        node2.file('/etc/kubernetes/kubelet.conf').content_string
    assert not node2.file('/etc/kubernetes/bootstrap-kubelet.conf').exists, 'kubeadm removes it after the bootstrap'
    assert node2.service('kubelet').is_running


def test_the_control_plane_runs_kubeadms_four_static_pods():
    pods = {item['metadata']['name']: item for item in kubectl_json('get', 'pods', '-n', 'kube-system')['items']}
    for component in ('etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler'):
        pod = pods['%s-cp1' % component]
        assert pod['metadata']['annotations']['kubernetes.io/config.source'] == 'file'
        assert all(status['ready'] for status in pod['status']['containerStatuses']), pod['status']


def test_the_seed_pod_runs_on_the_worker_and_serves_its_page(seed):
    _stdout, report = seed
    assert report['command'] == ['kubectl', 'create', 'deployment', 'demo', '--image=httpd', '--port=80']
    assert report['node'] == 'node2' and report['pod_ip'].startswith('10.244.')
    assert report['page_status'] == 200 and 'busybox httpd' in report['page']
    assert report['fetched_from'] == 'cp1', 'the page comes through the pod network from another node'
    pod = kubectl_json('get', 'pod', report['pod'])
    assert pod['spec']['containers'][0]['image'] == 'httpd'
    assert pod['status']['containerStatuses'][0]['imageID'].startswith('docker.io/library/httpd@sha256:')
    for owner in pod['metadata']['ownerReferences']:
        assert owner['kind'] == 'ReplicaSet' and owner['name'].startswith('demo-')


def pod_start_links(uid):
    """{CRI call: [containerd child names]} of the kubelet's syncPod traces of the pod with this uid."""
    answer = node('jaeger1').run('python3 -c %s 15', KUBELET_SPANS)
    spans = [json.loads(line) for line in answer.stdout.splitlines()]
    traces = {span[5] for span in spans if span[2] == 'syncPod' and span[6] == uid}
    ours = [span for span in spans if span[5] in traces]
    by_id = {span[3]: span for span in ours}
    links = {}
    for span in ours:
        parent = by_id.get(span[4])
        if span[0] == 'containerd' and parent and parent[0] == 'kubelet':
            links.setdefault(parent[2], []).append(span[2])
    return links, {span[1] for span in ours}


def test_the_kubelets_cri_calls_for_the_seed_pod_are_parents_of_containerds_spans(seed):
    """The pull is real: runtime.v1.ImageService/PullImage exists, with containerd's span under it."""
    uid = seed[1]['uid']
    deadline = time.monotonic() + 60     # the kubelet's and containerd's batches arrive separately
    while True:
        links, hosts = pod_start_links(uid)
        if all(call in links for call in POD_START_CALLS) or time.monotonic() > deadline:
            break
        time.sleep(3)
    print(json.dumps(links, indent=1))
    for call in POD_START_CALLS:
        assert call in links.get(call, []), 'no containerd child under the kubelet\'s %s: %s' % (call, links)
    assert hosts == {'node2'}


def test_every_containerd_pulls_the_seeds_image_through_the_lab_registry():
    """Debian's 1.7.24 and 1.6.20 (no kubelet) read the same hosts.toml mirrors as containerd 2.x."""
    for name in ('node1', 'node3'):
        target = node(name)
        target.check_output('crictl --runtime-endpoint unix:///run/containerd/containerd.sock pull httpd')
        assert 'docker.io/library/httpd' in target.check_output(
            'crictl --runtime-endpoint unix:///run/containerd/containerd.sock images')
    log = (LAB / 'registry' / 'registry.log').read_text()
    state = json.loads((LAB / 'state.json').read_text())
    for name in ('node1', 'node3'):
        assert '%s ' % state['nodes'][name]['address'] in log, 'no request from %s in the registry log' % name


@pytest.fixture()
def registry_down():
    """The lab's registry stopped for one test, started again after it (same data, same address)."""
    endpoint = json.loads((LAB / 'state.json').read_text())['bridge']['address'].split('/')[0]
    registry.stop(LAB)
    try:
        yield
    finally:
        registry.start(LAB, endpoint)
        cluster.kubectl(LAB, 'delete', 'deployment', 'fault-registry', '--ignore-not-found')


def test_a_registry_that_is_down_stops_the_seed_naming_the_node_and_the_cause(registry_down):
    run = seed_run('--name', 'fault-registry', '--timeout', '90')
    assert run.returncode == 1
    assert "on node2: cannot pull image 'httpd'" in run.stderr and 'pod fault-registry-' in run.stderr
    assert "the lab's registry at " in run.stderr and 'does not answer' in run.stderr


def test_an_image_that_cannot_be_pulled_stops_the_seed_naming_the_node_and_the_cause():
    try:
        run = seed_run('--name', 'fault-image', '--image', 'no-such-image', '--timeout', '90')
    finally:
        cluster.kubectl(LAB, 'delete', 'deployment', 'fault-image', '--ignore-not-found')
    assert run.returncode == 1
    assert "on node2: cannot pull image 'no-such-image'" in run.stderr
    assert 'no-such-image' in run.stderr and 'not found' in run.stderr


def test_a_workers_kubelet_that_does_not_come_back_is_rolled_back_and_the_node_is_ready_again():
    said = json.loads((LAB / 'side-effect.json').read_text())
    message = said['worker']
    assert ('the kubelet on node2 did not come back within 30 s after the tracing change, so it was rolled back: '
            '/var/lib/kubelet/config.yaml restored from /var/lib/kubetrace/backups/') in message, message[-2000:]
    assert '(it answers again)' in message and 'http://127.0.0.1:10248/healthz does not answer' in message
    assert said['worker_after'] == said['worker_before'], 'config.yaml must be back byte for byte'
    deadline = time.monotonic() + 60
    while True:
        ready = next(c for c in kubectl_json('get', 'node', 'node2')['status']['conditions'] if c['type'] == 'Ready')
        if ready['status'] == 'True' or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert ready['status'] == 'True', ready
