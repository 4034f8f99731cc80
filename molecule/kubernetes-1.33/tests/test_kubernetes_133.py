"""Kubernetes 1.33 after prepare (the operator's own tracing settings), converge and idempotence: the versioned
settings, units started through drop-ins, spans from all four components, dry runs that change nothing, and
disable.yml giving back every setting the operator had, byte for byte."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import testinfra

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
LAB = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab'
SERVICES = ['apiserver', 'etcd', 'kubelet', 'containerd']
APISERVER_DROPIN = '/etc/systemd/system/kube-apiserver.service.d/50-kubetrace-tracing.conf'
ETCD_DROPIN = '/etc/systemd/system/etcd.service.d/50-kubetrace-tracing.conf'
sys.path.insert(0, str(PROJECT / 'tests' / 'lab'))

import snapshot  # noqa: E402  pylint: disable=wrong-import-position


def host(name='cp1'):
    return testinfra.get_host('ansible://' + name, ansible_inventory=INVENTORY)


def playbook(path, *args):
    run = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(path), *args],
                         capture_output=True, text=True, check=False, cwd=PROJECT,
                         env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0'))
    print(run.stdout[-4000:], run.stderr[-2000:])
    return run


def environ(node, program):
    return node.check_output('cat /proc/$(pgrep -x %s)/environ | tr "\\0" "\\n"' % program).splitlines()


def test_133_gets_v1beta1_and_loses_the_gate_it_no_longer_needs():
    node = host()
    assert node.check_output('/usr/bin/kubelet --version') == 'Kubernetes v1.33.13'
    config = node.file('/etc/kubernetes/tracing/apiserver-tracing.yaml').content_string
    assert 'apiVersion: apiserver.config.k8s.io/v1beta1\n' in config
    manifest = node.file('/etc/kubernetes/manifests/kube-apiserver.yaml').content_string
    assert 'APIServerTracing' not in manifest and '--feature-gates' not in manifest
    assert '--tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml' in manifest
    assert 'operator-tracing' not in manifest, "the operator's flag is replaced, not doubled"
    kubelet = node.file('/var/lib/kubelet/config.yaml').content_string
    assert 'KubeletTracing' not in kubelet and 'samplingRatePerMillion: 1000000' in kubelet
    assert sorted(node.file('/etc/kubernetes/manifests').listdir()) == [
        'etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']
    record = json.loads(node.file('/var/lib/kubetrace/state/apiserver.json').content_string)
    entries = record['sections']['/etc/kubernetes/manifests/kube-apiserver.yaml']['entries']
    assert entries['flags:tracing-config-file']['before'] == {'value': '/etc/kubernetes/pki/operator-tracing.yaml'}
    assert entries['feature_gates:APIServerTracing'] == {'before': {'value': True}, 'written': {}}


def test_units_start_through_drop_ins_with_only_the_new_flags():
    node = host('cp2')
    dropin = node.file(APISERVER_DROPIN).content_string
    assert 'ExecStart=\nExecStart=/opt/kubetrace-lab/kubernetes/bin/kube-apiserver \\\n' in dropin
    assert dropin.count('--tracing-config-file=') == 1
    assert '--feature-gates=AllAlpha=false' in dropin and 'APIServerTracing' not in dropin, \
        'the gate 1.33 no longer needs is taken out of the command line, the other gate kept'
    assert '--tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml' in node.check_output('pgrep -a -x kube-apiserver')
    config = node.file('/etc/kubernetes/tracing/apiserver-tracing.yaml').content_string
    assert config.startswith("# the operator's own\n") and 'samplingRatePerMillion: 1000000' in config
    etcd = node.file(ETCD_DROPIN).content_string
    assert 'UnsetEnvironment=ETCD_DISTRIBUTED_TRACING_SERVICE_NAME\n' in etcd
    assert 'experimental-enable-distributed-tracing' not in etcd and 'experimental-distributed-tracing' not in etcd
    running = node.check_output('pgrep -a -x etcd')
    assert '--enable-distributed-tracing=true' in running and '--distributed-tracing-instance-id=cp2' in running
    assert '--experimental-enable-distributed-tracing' not in running and '--experimental-distributed-tracing' not in running
    assert not [line for line in environ(node, 'etcd') if line.startswith('ETCD_DISTRIBUTED_TRACING')], \
        'etcd refuses a setting given as a flag and as a variable'
    assert node.service('kube-apiserver').is_running and node.service('etcd').is_running
    # the controller-manager and the scheduler stay static pods: the unit layout is etcd's and kube-apiserver's
    assert sorted(node.file('/etc/kubernetes/manifests').listdir()) == ['kube-controller-manager.yaml', 'kube-scheduler.yaml']


def test_seed_and_verify_show_all_four_components_and_an_apiserver_trace_into_etcd():
    seed = subprocess.run([sys.executable, str(PROJECT / 'tests' / 'lab' / 'seed.py'), str(LAB)],
                          capture_output=True, text=True, check=False)
    print(seed.stdout[-3000:], seed.stderr[-3000:])
    assert seed.returncode == 0
    report = json.loads((LAB / 'seed-demo.json').read_text())
    assert report['node'] == 'cp1', 'a cluster without a worker runs pods on its control plane'
    assert report['page_status'] == 200
    run = playbook(PROJECT / 'playbooks' / 'verify.yml', '-e', json.dumps({'kubetrace_verify_services': SERVICES}))
    assert run.returncode == 0
    assert 'Spans arrived from apiserver, etcd, kubelet, containerd.' in run.stdout
    assert "An apiserver request's trace reaches into etcd." in run.stdout
    assert re.search(r'"etcd\s+cp1,cp2\s', run.stdout), 'etcd spans from both layouts'


def test_dry_runs_after_converge_change_nothing():
    before = snapshot.snapshot(LAB)
    site = playbook(PROJECT / 'site.yml', '--check', '--diff')
    assert site.returncode == 0 and set(re.findall(r'changed=(\d+)', site.stdout)) == {'0'}
    disable = playbook(PROJECT / 'playbooks' / 'disable.yml', '--check', '--diff')
    assert disable.returncode == 0
    assert '+    - --tracing-config-file=/etc/kubernetes/pki/operator-tracing.yaml' in disable.stdout
    assert snapshot.changes(before, snapshot.snapshot(LAB)) == []


def test_zz_disable_gives_back_every_setting_the_operator_had():
    run = playbook(PROJECT / 'playbooks' / 'disable.yml')
    assert run.returncode == 0
    operator = json.loads((LAB / 'operator-settings.json').read_text())
    assert snapshot.settings_changed(operator, snapshot.snapshot(LAB, ['cp1', 'cp2'])) == []
    assert '--tracing-config-file=/etc/kubernetes/pki/operator-tracing.yaml' in host().check_output('pgrep -a -x kube-apiserver')
    units = host('cp2')
    assert not units.file(APISERVER_DROPIN).exists and not units.file(ETCD_DROPIN).exists
    assert '--experimental-enable-distributed-tracing=true' in units.check_output('pgrep -a -x etcd')
    assert '--feature-gates=APIServerTracing=true,AllAlpha=false' in units.check_output('pgrep -a -x kube-apiserver')
    assert 'ETCD_DISTRIBUTED_TRACING_SERVICE_NAME=etcd-operator' in environ(units, 'etcd')
    assert units.file('/etc/kubernetes/tracing/apiserver-tracing.yaml').content_string.startswith("# the operator's own\n")
    again = playbook(PROJECT / 'playbooks' / 'disable.yml')
    assert again.returncode == 0 and set(re.findall(r'changed=(\d+)', again.stdout)) == {'0'}
