"""Persistence proven by kubeadm itself: after site.yml (persistence on), kubeadm writes cp1's control-plane
manifests and the kubelet's config.yaml anew from kubeadm-config and kubelet-config, as `kubeadm upgrade node`
does, and the tracing settings are still there and running; a second site.yml then has only its own checksum
annotation to put back. Runs after test_control_plane.py and before test_default.py's disable (file order)."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
from pathlib import Path

import testinfra

INVENTORY = os.environ['MOLECULE_INVENTORY_FILE']
PROJECT = Path(os.environ['MOLECULE_PROJECT_DIRECTORY'])
MANIFESTS = '/etc/kubernetes/manifests'
# what the lab's kubeadm init was given for this node (its cgroupRoot): kubeadm upgrade takes the same
PATCHES = '--patches /etc/kubernetes/kubetrace-lab-patches'


def cp1():
    return testinfra.get_host('ansible://cp1', ansible_inventory=INVENTORY)


def ready(node, process, flag, url, timeout=240):
    """Wait (bounded) for a new process with the flag and for its health endpoint."""
    script = ('import json, re, ssl, subprocess, sys, time, urllib.request\n'
              'deadline = time.monotonic() + %d\n'
              'while time.monotonic() < deadline:\n'
              '    running = subprocess.run(["pgrep", "-a", "-x", %r], capture_output=True, text=True).stdout\n'
              '    try:\n'
              '        ok = %r in running and urllib.request.urlopen(%r, timeout=3,\n'
              '            context=ssl._create_unverified_context()).status == 200\n'
              '    except OSError:\n'
              '        ok = False\n'
              '    if ok:\n'
              '        sys.exit(0)\n'
              '    time.sleep(2)\n'
              'sys.exit(1)\n' % (timeout, process, flag, url))
    return node.run('python3 -c %s', script).rc == 0


def flags(manifest):
    """The command-line flags of a manifest, as a set (kubeadm may lay out the rest of etcd's manifest anew)."""
    return {line.strip()[2:] for line in manifest.splitlines() if line.strip().startswith('- --')}


def test_kubeadm_writes_the_manifests_and_the_kubelet_config_anew_with_the_tracing_settings():
    node = cp1()
    before = {name: node.file('%s/%s' % (MANIFESTS, name)).content_string for name in ('kube-apiserver.yaml', 'etcd.yaml')}
    regenerated = node.run('kubeadm upgrade node phase control-plane --etcd-upgrade=true ' + PATCHES)
    assert regenerated.rc == 0, regenerated.stdout[-2000:] + regenerated.stderr[-2000:]
    apiserver = node.file(MANIFESTS + '/kube-apiserver.yaml').content_string
    etcd = node.file(MANIFESTS + '/etcd.yaml').content_string
    assert '    - --tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml\n' in apiserver
    assert 'name: kubetrace-tracing' in apiserver and 'path: /etc/kubernetes/tracing' in apiserver
    assert '    - --enable-distributed-tracing=true\n' in etcd and '--distributed-tracing-instance-id=cp1' in etcd
    assert ready(node, 'kube-apiserver', '--tracing-config-file=/etc/kubernetes/tracing/apiserver-tracing.yaml',
                 'https://127.0.0.1:6443/readyz')
    assert ready(node, 'etcd', '--enable-distributed-tracing=true', 'http://127.0.0.1:2381/health')
    kubelet = node.run('kubeadm upgrade node phase kubelet-config ' + PATCHES)
    assert kubelet.rc == 0, kubelet.stdout[-2000:] + kubelet.stderr[-2000:]
    config = node.file('/var/lib/kubelet/config.yaml').content_string
    assert 'tracing:\n  endpoint: ' in config and 'samplingRatePerMillion: 1000000' in config
    node.run('systemctl restart kubelet')
    assert ready(node, 'kubelet', '--config=/var/lib/kubelet/config.yaml', 'http://127.0.0.1:10248/healthz', 60)
    # kubeadm does not know the role's checksum annotation; a second run puts it back and nothing else
    again = subprocess.run(['ansible-playbook', '-i', INVENTORY, str(PROJECT / 'site.yml'), '--limit', 'jaeger1,cp1'],
                           capture_output=True, text=True, check=False, cwd=PROJECT,
                           env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0'))
    print(again.stdout[-3000:])
    assert again.returncode == 0
    # the same lines: kubeadm writes the flags it does not set itself after its own, in kubeadm-config's order
    apiserver = node.file(MANIFESTS + '/kube-apiserver.yaml').content_string
    print(''.join(difflib.unified_diff(before['kube-apiserver.yaml'].splitlines(True), apiserver.splitlines(True),
                                       'before', 'kubeadm and site.yml')))
    assert sorted(apiserver.splitlines()) == sorted(before['kube-apiserver.yaml'].splitlines())
    etcd = node.file(MANIFESTS + '/etcd.yaml').content_string
    print(''.join(difflib.unified_diff(before['etcd.yaml'].splitlines(True), etcd.splitlines(True), 'before', 'kubeadm')))
    assert flags(etcd) == flags(before['etcd.yaml']), 'kubeadm wrote etcd with other flags than the role had'
    assert re.search(r'cp1\s+: ok=\d+\s+changed=[1-9]', again.stdout)
