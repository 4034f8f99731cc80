"""playbooks/verify.yml against a real Jaeger on loopback, fed spans as the components send them: it passes where
containerd's calls are children of the kubelet's, and fails, naming the host and the cause, where containerd traces
the calls it serves but none is under a kubelet span."""

from __future__ import annotations

import os
import subprocess

import jaeger
import pytest
from test_jaeger_traces import send

from playrunner import BIN
from testpaths import REPO


@pytest.fixture
def backend():
    running = jaeger.running(jaeger.binary())
    ports = running.__enter__()  # pylint: disable=unnecessary-dunder-call
    try:
        yield ports
    finally:
        running.__exit__(None, None, None)


def verify(node, tmp_path, ports):
    (tmp_path / 'inventory.ini').write_text('[jaeger]\njaeger1 ansible_connection=local ansible_python_interpreter=%s\n'
                                            % node.python)
    return subprocess.run(
        [str(BIN / 'ansible-playbook'), '-i', str(tmp_path / 'inventory.ini'), str(REPO / 'playbooks' / 'verify.yml'),
         '-e', '{"kubetrace_verify_services": ["kubelet", "containerd"], "kubetrace_verify_wait": 20}',
         '-e', 'jaeger_query_endpoint=127.0.0.1:%d' % ports['query_http']],
        cwd=REPO, capture_output=True, text=True, check=False,
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0'))


def test_a_kubelet_call_that_reaches_containerd_passes(node, tmp_path, backend):
    trace, client = os.urandom(16).hex(), os.urandom(8).hex()
    send(backend, 'kubelet', trace, client, kind=3)
    send(backend, 'containerd', trace, os.urandom(8).hex(), parent=client)
    run = verify(node, tmp_path, backend)
    assert run.returncode == 0, run.stdout[-3000:]
    assert 'A kubelet call to containerd is one trace from the kubelet into containerd.' in run.stdout
    assert 'node2: 1 of its 1 containerd spans are children of kubelet spans' in run.stdout


def test_calls_containerd_serves_outside_the_kubelets_traces_fail_naming_the_host(node, tmp_path, backend):
    send(backend, 'kubelet', os.urandom(16).hex(), os.urandom(8).hex(), kind=3)
    send(backend, 'containerd', os.urandom(16).hex(), os.urandom(8).hex(), parent=os.urandom(8).hex())
    run = verify(node, tmp_path, backend)
    assert run.returncode != 0
    assert 'node2: containerd traces 1 calls it served, none of them under a kubelet span' in run.stdout
    assert ("On node2 the kubelet and containerd both report, and containerd traces the calls it serves, but none is "
            "a child of a kubelet span: the kubelet's trace context does not reach containerd.") in run.stdout
