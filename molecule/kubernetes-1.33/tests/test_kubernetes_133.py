"""Kubernetes 1.33 after converge and idempotence: the versioned settings, spans from all four components,
an apiserver trace into etcd, and disable.yml putting back kubeadm's bytes."""

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


def assert_original_bytes(_host, name):
    """Every file and ConfigMap the roles touch on a control-plane node is as kubeadm and the lab left it."""
    sys.path.insert(0, str(PROJECT / 'tests' / 'lab'))
    import scenario  # pylint: disable=import-outside-toplevel
    assert scenario.changed_since_provision(LAB, name) == [], 'not back to their bytes on %s' % name


def cp1(name='cp1'):
    return testinfra.get_host('ansible://' + name, ansible_inventory=INVENTORY)


APISERVER_DROPIN = '/etc/systemd/system/kube-apiserver.service.d/50-kubetrace-tracing.conf'
ETCD_DROPIN = '/etc/systemd/system/etcd.service.d/50-kubetrace-tracing.conf'


def playbook(path, *args):
    run = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(path), *args],
                         capture_output=True, text=True, check=False, cwd=PROJECT)
    print(run.stdout[-4000:], run.stderr[-2000:])
    return run


def test_133_gets_v1beta1_and_loses_the_gate_it_no_longer_needs():
    node = cp1()
    assert node.check_output('/usr/bin/kubelet --version') == 'Kubernetes v1.33.13'
    config = node.file('/etc/kubernetes/tracing/apiserver-tracing.yaml').content_string
    assert 'apiVersion: apiserver.config.k8s.io/v1beta1\n' in config
    manifest = node.file('/etc/kubernetes/manifests/kube-apiserver.yaml').content_string
    assert 'APIServerTracing' not in manifest and '--feature-gates' not in manifest
    assert '--tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml' in manifest
    assert 'KubeletTracing' not in node.file('/var/lib/kubelet/config.yaml').content_string
    assert sorted(node.file('/etc/kubernetes/manifests').listdir()) == [
        'etcd.yaml', 'kube-apiserver.yaml', 'kube-controller-manager.yaml', 'kube-scheduler.yaml']


def test_units_get_drop_ins_and_run_with_them():
    node = cp1('cp2')
    dropin = node.file(APISERVER_DROPIN).content_string
    assert 'ExecStart=\nExecStart=/opt/kubetrace-lab/kubernetes/bin/kube-apiserver \\\n' in dropin
    assert '--tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml' in dropin
    assert '--tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml' in node.check_output('pgrep -a -x kube-apiserver')
    assert 'Environment="ETCD_ENABLE_DISTRIBUTED_TRACING=true"' in node.file(ETCD_DROPIN).content_string
    assert 'ETCD_DISTRIBUTED_TRACING_INSTANCE_ID=cp2' in node.check_output('cat /proc/$(pgrep -x etcd)/environ | tr "\\0" "\\n"')
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


def test_zz_disable_puts_back_kubeadms_bytes():
    run = playbook(PROJECT / 'playbooks' / 'disable.yml')
    assert run.returncode == 0
    node = cp1()
    assert_original_bytes(node, 'cp1')
    assert not node.file('/etc/kubernetes/tracing').exists
    units = cp1('cp2')
    assert_original_bytes(units, 'cp2')
    assert not units.file(APISERVER_DROPIN).exists and not units.file(ETCD_DROPIN).exists
    assert '--tracing-config-file' not in units.check_output('pgrep -a -x kube-apiserver')
    again = playbook(PROJECT / 'playbooks' / 'disable.yml')
    assert again.returncode == 0 and set(re.findall(r'changed=(\d+)', again.stdout)) == {'0'}
