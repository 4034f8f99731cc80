"""Kubernetes 1.33 after converge and idempotence: the versioned settings, spans from all four components,
an apiserver trace into etcd, and disable.yml putting back kubeadm's bytes."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import testinfra

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
LAB = Path(os.environ['MOLECULE_EPHEMERAL_DIRECTORY']) / 'lab'
SERVICES = ['apiserver', 'etcd', 'kubelet', 'containerd']


def cp1():
    return testinfra.get_host('ansible://cp1', ansible_inventory=INVENTORY)


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
    assert sorted(node.file('/etc/kubernetes/manifests').listdir()) == ['etcd.yaml', 'kube-apiserver.yaml']


def test_seed_and_verify_show_all_four_components_and_an_apiserver_trace_into_etcd():
    assert playbook(PROJECT / 'tests' / 'lab' / 'seed.yml', '-e', 'kubetrace_lab_dir=%s' % LAB).returncode == 0
    run = playbook(PROJECT / 'playbooks' / 'verify.yml', '-e', json.dumps({'kubetrace_verify_services': SERVICES}))
    assert run.returncode == 0
    assert 'Spans arrived from apiserver, etcd, kubelet, containerd.' in run.stdout
    assert "An apiserver request's trace reaches into etcd." in run.stdout


def test_zz_disable_puts_back_kubeadms_bytes():
    run = playbook(PROJECT / 'playbooks' / 'disable.yml')
    assert run.returncode == 0
    node = cp1()
    originals = json.loads((LAB / 'cp1-originals.json').read_text())
    for path, digest in originals.items():
        assert node.check_output('sha256sum %s' % path).split()[0] == digest, '%s is not back to its bytes' % path
    assert not node.file('/etc/kubernetes/tracing').exists
    again = playbook(PROJECT / 'playbooks' / 'disable.yml')
    assert again.returncode == 0 and set(re.findall(r'changed=(\d+)', again.stdout)) == {'0'}
