"""What the default scenario must show after converge, idempotence and the side effects."""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import testinfra

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
LAB = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab'
# config.toml of each node as the lab left it (Debian's plus the registry mirror, or the lab's for containerd 2.x)
ORIGINAL_CONFIG = 'originals/{}/etc/containerd/config.toml'
DROPIN = '/etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf'
TRACING_WORDS = ('io.containerd.tracing.processor.v1.otlp', 'io.containerd.internal.v1.tracing', 'endpoint =',
                 'protocol =', 'insecure =', 'sampling_ratio =', 'service_name =')


def assert_original_bytes(_host, name):
    """Every file and ConfigMap the roles touch on a control-plane node is as kubeadm and the lab left it."""
    sys.path.insert(0, str(PROJECT / 'tests' / 'lab'))
    import scenario  # pylint: disable=import-outside-toplevel
    assert scenario.changed_since_provision(LAB, name) == [], 'not back to their bytes on %s' % name


def node(name):
    return testinfra.get_host('ansible://' + name, ansible_inventory=INVENTORY)


def side_effect():
    return json.loads((LAB / 'side-effect.json').read_text())


JAEGER_QUERY = '''
import json, sys, urllib.error, urllib.parse, urllib.request
query = urllib.parse.urlencode({"query.service_name": sys.argv[1], "query.start_time_min": sys.argv[2],
                                "query.start_time_max": sys.argv[3], "query.num_traces": "1000"})
try:
    print(urllib.request.urlopen("http://127.0.0.1:16686/api/v3/traces?" + query, timeout=10).read().decode())
except urllib.error.HTTPError as error:
    print(json.dumps({"status": error.code}))
'''


def spans_by_host(service, since):
    """{host.name: [span names]} of the spans Jaeger has from ``service`` since ``since``."""
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=1)
    answer = node('jaeger1').run('python3 -c %s %s %s %s', JAEGER_QUERY, service,
                                 since.strftime('%Y-%m-%dT%H:%M:%SZ'), until.strftime('%Y-%m-%dT%H:%M:%SZ'))
    found = {}
    for resource_spans in json.loads(answer.stdout).get('result', {}).get('resourceSpans', []):
        attributes = {item['key']: next(iter(item['value'].values()))
                      for item in resource_spans['resource'].get('attributes', [])}
        for scope in resource_spans.get('scopeSpans', []):
            found.setdefault(attributes.get('host.name'), []).extend(span['name'] for span in scope['spans'])
    return found


def spans_of(service, since):
    """Span names Jaeger has from ``service`` since ``since``, whatever their host."""
    return [name for names in spans_by_host(service, since).values() for name in names]


def test_a_toml_only_containerd_sends_spans_with_the_short_ids_of_a_version_1_file():
    node4 = node('node4')
    assert node4.check_output('containerd --version').split()[2] == 'v1.7.15'
    config = node4.file('/etc/containerd/config.toml').content_string
    assert config.startswith(open(LAB / ORIGINAL_CONFIG.format('node4')).read().rstrip('\n'))
    assert '[plugins.otlp]' in config and 'endpoint = "http://' in config and 'io.containerd.tracing' not in config
    assert not node4.file(DROPIN).exists, '1.7.15 reads no OTEL variables: no drop-in'
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    deadline = time.monotonic() + 60
    while not spans_of('containerd-toml', since):
        assert time.monotonic() < deadline, 'no span from node4 (service containerd-toml) in Jaeger within 60 s'
        node4.check_output('ctr version')
        time.sleep(2)
    print(sorted(set(spans_of('containerd-toml', since))))


def test_jaeger_runs_as_its_user_under_a_hardened_unit():
    jaeger = node('jaeger1')
    assert jaeger.service('jaeger').is_running and jaeger.service('jaeger').is_enabled
    shown = dict(line.split('=', 1) for line in jaeger.check_output(
        'systemctl show jaeger --property=User,NoNewPrivileges,ProtectSystem,ProtectHome,PrivateTmp,'
        'PrivateDevices,CapabilityBoundingSet,ReadWritePaths,RestrictNamespaces').splitlines())
    assert shown['User'] == 'jaeger' and shown['NoNewPrivileges'] == 'yes'
    assert shown['ProtectSystem'] == 'strict' and shown['ProtectHome'] == 'yes'
    assert shown['PrivateTmp'] == 'yes' and shown['PrivateDevices'] == 'yes'
    assert shown['CapabilityBoundingSet'] == '' and shown['ReadWritePaths'] == '/var/lib/jaeger'
    assert jaeger.process.get(comm='jaeger').user == 'jaeger'
    print(jaeger.run('systemd-analyze security --no-pager jaeger.service').stdout)


def test_jaeger_listens_where_it_should():
    jaeger = node('jaeger1')
    assert jaeger.socket('tcp://0.0.0.0:4317').is_listening
    assert jaeger.socket('tcp://0.0.0.0:4318').is_listening
    assert jaeger.socket('tcp://127.0.0.1:16686').is_listening
    assert not jaeger.socket('tcp://0.0.0.0:16686').is_listening
    assert jaeger.socket('tcp://127.0.0.1:13133').is_listening


@pytest.mark.parametrize('name', ['node1', 'node2'])
def test_containerd_work_arrives_in_jaeger_under_its_host(name):
    since = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    target = node(name)
    target.check_output('crictl --runtime-endpoint unix:///run/containerd/containerd.sock images')
    target.check_output('ctr version')
    deadline = time.monotonic() + 60
    while name not in spans_by_host('containerd', since):
        assert time.monotonic() < deadline, 'no containerd span from %s in Jaeger within 60 s' % name
        time.sleep(2)
    print(name, sorted(set(spans_by_host('containerd', since)[name])))


def test_component_facts_sees_containerd_as_a_systemd_unit():
    run = subprocess.run(['ansible', 'node1', '-i', INVENTORY, '-m', 'kubetrace.tracing.component_facts'],
                         capture_output=True, text=True, check=False, cwd=PROJECT,
                         env=dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT='json', ANSIBLE_NOCOLOR='1',
                                  ANSIBLE_FORCE_COLOR='0'))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    found = json.loads(run.stdout.split('=>', 1)[1])['ansible_facts']['kubetrace_components']
    assert found['containerd']['runs_as'] == 'systemd' and found['containerd']['version'] == '1.7.24'
    assert found['containerd']['unit']['active'] == 'active'
    assert found['containerd']['unit']['drop_in_paths'] == [DROPIN]
    assert found['containerd']['tracing_plugin_status'] == {'otlp': 'ok', 'tracing': 'ok'}
    assert found['kubelet']['runs_as'] == 'absent'


def test_node3_has_no_plugin_and_is_left_as_it_was():
    node3 = node('node3')
    original = (LAB / ORIGINAL_CONFIG.format('node3')).read_bytes()
    assert node3.file('/etc/containerd/config.toml').content == original
    assert not node3.file(DROPIN).exists
    assert node3.service('containerd').is_running


def test_config_toml_differs_only_in_the_tracing_keys():
    original = (LAB / ORIGINAL_CONFIG.format('node1')).read_text().splitlines()
    node1 = node('node1').file('/etc/containerd/config.toml').content_string.splitlines()
    operations = difflib.SequenceMatcher(None, original, node1, autojunk=False).get_opcodes()
    assert {operation[0] for operation in operations} == {'equal', 'insert'}, 'lines of the original were changed'
    added = [line for tag, _i1, _i2, j1, j2 in operations if tag == 'insert' for line in node1[j1:j2]]
    print('\n'.join(added))
    assert added and all(not line.strip() or any(word in line for word in TRACING_WORDS) for line in added)
    node2 = node('node2').file('/etc/containerd/config.toml').content_string.splitlines()
    assert node2 == (LAB / ORIGINAL_CONFIG.format('node2')).read_text().splitlines(), \
        'containerd 2.x reads only the OTEL variables: config.toml must not change'
    assert node('node2').file(DROPIN).contains('OTEL_EXPORTER_OTLP_ENDPOINT=http://')


def test_a_containerd_that_does_not_come_back_is_rolled_back():
    said = side_effect()
    assert 'containerd on node2 did not come back within 30 s after the tracing change, so it was rolled back: ' \
        in said['rollback']
    assert '/etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf restored from ' in said['rollback']
    assert 'and containerd.service restarted (it answers again)' in said['rollback']
    node2 = node('node2')
    assert node2.service('containerd').is_running
    assert node2.check_output('sha256sum /etc/containerd/config.toml %s' % DROPIN) == said['node2_before'].strip()
    assert 'GOMEMLIMIT' not in node2.file(DROPIN).content_string


def test_a_tampered_jaeger_archive_is_refused_and_jaeger_keeps_running():
    said = side_effect()
    sums = LAB / 'releases' / 'v2.13.1' / 'jaeger-2.13.1.sha256sum.txt'
    published = sums.read_text().split()[0]
    tampered = hashlib.sha256((LAB / 'releases' / 'v2.13.1' / 'jaeger-2.13.1-linux-amd64.tar.gz').read_bytes()).hexdigest()
    assert re.search(r'The checksum for \S+ did not match %s; it was %s\.' % (published, tampered), said['tampered']), \
        said['tampered'][-3000:]
    assert 'Download the release archive and check it' in said['tampered']
    assert re.search(r'jaeger1\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=1\s', said['tampered'])
    jaeger = node('jaeger1')
    assert not jaeger.file('/opt/jaeger/2.13.1').exists
    assert '/opt/jaeger/2.13.0/jaeger' in jaeger.check_output('systemctl show jaeger --property=ExecStart')
    assert jaeger.service('jaeger').is_running
    assert jaeger.run('python3 -c "import urllib.request as u; u.urlopen(\'http://127.0.0.1:13133/status\')"').rc == 0


def test_verify_playbook_prints_the_table_and_passes():
    run = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(PROJECT / 'playbooks' / 'verify.yml'),
                          '-e', 'jaeger_version=2.13.0'], capture_output=True, text=True, check=False, cwd=PROJECT)
    print(run.stdout[-3000:])
    assert run.returncode == 0
    assert 'Spans arrived from containerd' in run.stdout
    assert 'node1' in run.stdout and 'node2' in run.stdout


def test_a_node_without_the_plugin_fails_when_the_plugin_is_required():
    said = side_effect()['required']
    assert 'node3: containerd 1.6.20 was built without its tracing' in said
    assert 'containerd_tracing_require_plugin to false' in said


def test_a_node_that_cannot_reach_the_backend_is_reported_and_left_as_it_is():
    said = side_effect()['unreachable']
    assert re.search(r'node1: cannot reach the backend at [0-9.]+:9 within 2 s \(cannot connect to [0-9.]+ port 9 '
                     r'\(Connection refused\)\); containerd left as it is', said), said[-3000:]
    assert re.search(r'node1\s+: ok=\d+\s+changed=0\s', said)
    assert node('node1').file(DROPIN).contains('OTEL_EXPORTER_OTLP_ENDPOINT=http://.*:4318')


def test_jaeger_installs_from_an_archive_on_the_controller():
    said = side_effect()['air_gapped']
    assert re.search(r'jaeger1\s+: ok=\d+\s+changed=\d+\s+unreachable=0\s+failed=0\s', said)
    assert node('jaeger1').service('jaeger').is_running


def test_zz_disable_returns_config_toml_to_its_original_bytes():
    """Runs last: takes every setting out again."""
    run = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(PROJECT / 'playbooks' / 'disable.yml')],
                         capture_output=True, text=True, check=False, cwd=PROJECT)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert node('node4').file('/etc/containerd/config.toml').content == (LAB / ORIGINAL_CONFIG.format('node4')).read_bytes()
    for name in ('node1', 'node2'):
        assert node(name).file('/etc/containerd/config.toml').content == (LAB / ORIGINAL_CONFIG.format(name)).read_bytes()
        assert not node(name).file(DROPIN).exists
        assert not node(name).file(os.path.dirname(DROPIN)).exists, 'the drop-in folder the role made stays'
        assert node(name).service('containerd').is_running
    assert_original_bytes(node('node2'), 'node2')   # the worker's kubelet config.yaml and config.toml
    cp1 = node('cp1')
    assert_original_bytes(cp1, 'cp1')
    assert not cp1.file('/etc/kubernetes/tracing').exists
    assert not cp1.file(DROPIN).exists
    assert sorted(cp1.file('/etc/kubernetes/manifests').listdir()) == [
        'etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']
    again = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(PROJECT / 'playbooks' / 'disable.yml')],
                           capture_output=True, text=True, check=False, cwd=PROJECT)
    assert again.returncode == 0 and set(re.findall(r'changed=(\d+)', again.stdout)) == {'0'}
