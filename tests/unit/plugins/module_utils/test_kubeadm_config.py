from __future__ import annotations

import difflib

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _kubeadm_config, _yaml_doc
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from testpaths import FIXTURES

V1BETA4 = (FIXTURES / 'kubeadm' / 'uploaded-v1.37.2' / 'ClusterConfiguration.yaml').read_text()
V1BETA3 = """apiServer:
  extraArgs:
    authorization-mode: Node,RBAC
    feature-gates: Other=true
  timeoutForControlPlane: 4m0s
apiVersion: kubeadm.k8s.io/v1beta3
kind: ClusterConfiguration
kubernetesVersion: v1.30.4
"""
VOLUME = {'name': 'kubetrace-tracing', 'host_path': '/etc/kubernetes/tracing', 'mount_path': '/etc/kubernetes/tracing',
          'read_only': True, 'type': 'DirectoryOrCreate'}
ARGS = {'tracing-config-file': '/etc/kubernetes/tracing/apiserver-tracing.yaml'}


def change(text, **kwargs):
    return _yaml_doc.edit(text, lambda doc, dry_run: _kubeadm_config.change_cluster_configuration(
        doc, 'apiServer', dry_run=dry_run, **kwargs))


def diff(before, after):
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm='', n=0)
            if line[:1] in '+-' and line[:3] not in ('---', '+++')]


def test_v1beta4_gets_list_items_and_a_volume_and_undo_gives_kubeadms_bytes_back():
    after = change(V1BETA4, extra_args=ARGS, volumes=[VOLUME])
    assert diff(V1BETA4, after) == [
        '-apiServer: {}', '+apiServer:', '+  extraArgs:', '+  - name: tracing-config-file',
        '+    value: /etc/kubernetes/tracing/apiserver-tracing.yaml', '+  extraVolumes:',
        '+  - name: kubetrace-tracing', '+    hostPath: /etc/kubernetes/tracing',
        '+    mountPath: /etc/kubernetes/tracing', '+    readOnly: true', '+    pathType: DirectoryOrCreate']
    assert change(after, extra_args=ARGS, volumes=[VOLUME]) is after
    undone = change(after, extra_args={'tracing-config-file': None}, volumes=[{'name': 'kubetrace-tracing', 'state': 'absent'}])
    assert undone == V1BETA4
    assert change(V1BETA4, extra_args={'tracing-config-file': None}, feature_gates={'APIServerTracing': None}) is V1BETA4


def test_v1beta3_keeps_a_map_and_gates_merge_into_the_existing_argument():
    after = change(V1BETA3, extra_args=ARGS, feature_gates={'APIServerTracing': True})
    assert diff(V1BETA3, after) == [
        '-    feature-gates: Other=true', '+    feature-gates: Other=true,APIServerTracing=true',
        '+    tracing-config-file: /etc/kubernetes/tracing/apiserver-tracing.yaml']
    assert change(after, extra_args={'tracing-config-file': None}, feature_gates={'APIServerTracing': None}) == V1BETA3


def test_a_gate_that_is_the_only_one_takes_the_argument_with_it():
    text = V1BETA3.replace('feature-gates: Other=true', 'feature-gates: APIServerTracing=true')
    after = change(text, feature_gates={'APIServerTracing': None})
    assert 'feature-gates' not in after and 'authorization-mode: Node,RBAC' in after


@pytest.mark.parametrize('text, message', [
    (V1BETA4.replace('kubeadm.k8s.io/v1beta4', 'kubeadm.k8s.io/v1beta2'), "v1beta2' is not one this collection edits"),
    ('kind: InitConfiguration\napiVersion: kubeadm.k8s.io/v1beta4\n', 'not a kubeadm ClusterConfiguration'),
    (V1BETA3.replace('kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4'), 'not a list of name/value items'),
])
def test_bad_documents_are_refused(text, message):
    with pytest.raises(EditError, match=message):
        change(text, extra_args=ARGS)
