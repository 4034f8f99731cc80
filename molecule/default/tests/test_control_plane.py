"""The control-plane node cp1 after converge, idempotence and the side effects: the seed's request
traced from kube-apiserver into etcd, spans from all four components, and every rollback."""

from __future__ import annotations

import json
import os
import re
import sys
import subprocess
import time
from pathlib import Path

import pytest
import testinfra

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
LAB = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab'
SERVICES = ['apiserver', 'etcd', 'kubelet', 'containerd']
MANIFESTS = ['etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']


def node(name):
    return testinfra.get_host('ansible://' + name, ansible_inventory=INVENTORY)


def side_effect():
    return json.loads((LAB / 'side-effect.json').read_text())


def playbook(path, *args):
    run = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(path), *args],
                         capture_output=True, text=True, check=False, cwd=PROJECT)
    print(run.stdout[-4000:], run.stderr[-2000:])
    return run


# The apiserver traces of the last minutes as [service, name, spanId, parentSpanId, traceId, user-agent] lines.
SEARCH = '''
import datetime, json, sys, urllib.error, urllib.parse, urllib.request
now = datetime.datetime.now(datetime.timezone.utc)
query = urllib.parse.urlencode({"query.service_name": "apiserver", "query.num_traces": "2000",
    "query.start_time_min": (now - datetime.timedelta(minutes=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "query.start_time_max": (now + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")})
try:
    answer = json.load(urllib.request.urlopen("http://127.0.0.1:16686/api/v3/traces?" + query, timeout=30))
except urllib.error.HTTPError:
    sys.exit(0)
for resource_spans in answer["result"]["resourceSpans"]:
    service = [a["value"]["stringValue"] for a in resource_spans["resource"]["attributes"] if a["key"] == "service.name"][0]
    for scope in resource_spans["scopeSpans"]:
        for span in scope["spans"]:
            agent = [a["value"].get("stringValue") for a in span.get("attributes", []) if "agent" in a["key"]]
            print(json.dumps([service, span["name"], span["spanId"], span.get("parentSpanId", ""), span["traceId"],
                              (agent or [""])[0]]))
'''
DEPLOYMENT_POST = 'POST /apis/apps/v1/namespaces/{:namespace}/deployments'


def deployment_traces():
    """{trace id: spans} of the apiserver traces with the Deployment's POST made by kubectl (the seed's command)."""
    answer = node('jaeger1').run('python3 -c %s 15', SEARCH)
    spans = [json.loads(line) for line in answer.stdout.splitlines()]
    wanted = {span[4] for span in spans if span[1] == DEPLOYMENT_POST and span[5].startswith('kubectl/')}
    return {trace: [span for span in spans if span[4] == trace] for trace in wanted}


def etcd_children(spans):
    by_id = {span[2]: span for span in spans}
    return [span for span in spans if span[0] == 'etcd' and by_id.get(span[3], ['?'])[0] == 'apiserver']


def test_manifests_carry_the_tracing_settings_and_the_folder_holds_only_manifests():
    cp1 = node('cp1')
    assert sorted(cp1.file('/etc/kubernetes/manifests').listdir()) == MANIFESTS
    apiserver = cp1.file('/etc/kubernetes/manifests/kube-apiserver.yaml').content_string
    assert '    - --tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml' in apiserver.splitlines()
    assert 'APIServerTracing' not in apiserver, '1.37 stops at the mere name of the gate'
    config = cp1.file('/etc/kubernetes/tracing/apiserver-tracing.yaml').content_string
    assert 'apiVersion: apiserver.config.k8s.io/v1\n' in config and 'samplingRatePerMillion: 1000000' in config
    assert not cp1.file('/etc/kubernetes/pki/apiserver-tracing.yaml').exists
    etcd = cp1.file('/etc/kubernetes/manifests/etcd.yaml').content_string
    assert '--enable-distributed-tracing=true' in etcd and 'experimental-' not in etcd
    assert '--distributed-tracing-instance-id=cp1' in etcd
    assert 'tracing:\n  endpoint: ' in cp1.file('/var/lib/kubelet/config.yaml').content_string


def test_the_seed_command_is_one_trace_from_kube_apiserver_into_etcd(seed):
    """kubectl sends no trace context: the apiserver samples the request itself (1000000 per million in the
    lab), so the Deployment's POST is found by its span name and kubectl's user agent."""
    assert '$ kubectl create deployment demo --image=httpd --port=80\n' in seed[0]
    deadline = time.monotonic() + 60   # the apiserver and etcd export in separate batches: wait for both
    while True:
        traces = deployment_traces()
        linked = {trace: etcd_children(spans) for trace, spans in traces.items() if etcd_children(spans)}
        if linked or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert linked, 'no trace of the seed\'s POST with an etcd child span within 60 s: %s' % traces
    print(sorted(linked.items())[0])


def test_verify_shows_all_four_components_and_an_apiserver_trace_into_etcd():
    run = playbook(PROJECT / 'playbooks' / 'verify.yml', '-e', json.dumps({'kubetrace_verify_services': SERVICES}))
    assert run.returncode == 0
    assert 'Spans arrived from apiserver, etcd, kubelet, containerd.' in run.stdout
    assert "An apiserver request's trace reaches into etcd." in run.stdout
    assert 'A kubelet call to containerd is one trace from the kubelet into containerd.' in run.stdout
    assert re.search(r'"node2: \d+ of its \d+ containerd spans are children of kubelet spans"', run.stdout)
    assert re.search(r'"node1: containerd sends no per-call spans \(\d+ of its own work\)', run.stdout), \
        "Debian's containerd is named as the cause"
    table = run.stdout[run.stdout.index('"service '):]
    for service in SERVICES:
        assert re.search(r'"%s\s+\S+\s+[1-9]\d*\s+20\d\d-' % service, table), table[:1500]


@pytest.mark.parametrize('component, words', [
    ('etcd', 'etcd on cp1 did not come back within 90 s after the tracing change, so it was rolled back: '
             '/etc/kubernetes/manifests/etcd.yaml restored from /var/lib/kubetrace/backups/'),
    ('apiserver', 'kube-apiserver on cp1 did not come back within 90 s after the tracing change, so it was rolled back: '
                  '/etc/kubernetes/manifests/kube-apiserver.yaml restored from /var/lib/kubetrace/backups/'),
    ('kubelet', 'the kubelet on cp1 did not come back within 30 s after the tracing change, so it was rolled back: '
                '/var/lib/kubelet/config.yaml restored from /var/lib/kubetrace/backups/'),
])
def test_a_component_that_does_not_come_back_is_rolled_back(component, words):
    said = side_effect()
    message = said['control_plane'][component]
    assert words in message, message[-2000:]
    assert '(it answers again)' in message, message[-2000:]
    assert said['cp1_after'] == said['cp1_before'], 'every file must be back byte for byte'


def test_after_the_rollbacks_everything_answers_again():
    cp1 = node('cp1')
    assert cp1.run('python3 -c "import urllib.request as u; u.urlopen(\'http://127.0.0.1:2381/health\')"').rc == 0
    assert cp1.run('python3 -c "import ssl, urllib.request as u; '
                   'u.urlopen(\'https://127.0.0.1:6443/readyz\', context=ssl._create_unverified_context())"').rc == 0
    assert cp1.run('python3 -c "import urllib.request as u; u.urlopen(\'http://127.0.0.1:10248/healthz\')"').rc == 0
    assert 'no-such-flag' not in cp1.file('/etc/kubernetes/manifests/kube-apiserver.yaml').content_string
    assert sorted(cp1.file('/etc/kubernetes/manifests').listdir()) == MANIFESTS


def test_kubeadm_upgrade_would_write_the_tracing_flag_and_mount_again():
    """The settings are in kubeadm-config: kubeadm's own upgrade (dry run) writes a manifest that has them."""
    cp1 = node('cp1')
    run = cp1.run('KUBEADM_UPGRADE_DRYRUN_DIR=$(mktemp -d) kubeadm upgrade node phase control-plane --dry-run')
    assert run.rc == 0, run.stderr[-2000:]
    manifest = run.stdout.split('Would write file "/etc/kubernetes/manifests/kube-apiserver.yaml"', 1)[1]
    manifest = manifest.split('[dryrun] Would write file', 1)[0]
    assert '- --tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml' in manifest
    assert 'name: kubetrace-tracing' in manifest and 'path: /etc/kubernetes/tracing' in manifest


def test_the_kubelet_config_map_carries_the_tracing_block():
    sys.path.insert(0, str(PROJECT / 'tests' / 'lab'))
    import scenario  # pylint: disable=import-outside-toplevel
    address = json.loads((LAB / 'state.json').read_text())['nodes']['cp1']['address']
    script = scenario.CONFIGMAP_SUMS.replace('hashlib.sha256(data.encode()).hexdigest()', 'data')
    assert script != scenario.CONFIGMAP_SUMS
    answer = node('cp1').check_output('python3 -c %s %s', script, address)
    kubelet = json.loads(answer)['configmap kubelet-config kubelet']
    assert 'tracing:\n  endpoint: ' in kubelet and 'samplingRatePerMillion: 1000000' in kubelet
