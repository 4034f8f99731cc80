from __future__ import annotations

import difflib
import re

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _static_pod, _yaml_doc
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from testpaths import FIXTURES

APISERVER = (FIXTURES / 'kubeadm' / 'v1.37.2' / 'kube-apiserver.yaml').read_text()
ETCD = (FIXTURES / 'kubeadm' / 'v1.37.2' / 'etcd.yaml').read_text()
MOUNT = _static_pod.HostPathMount(name='kubetrace-tracing', host_path='/etc/kubernetes/tracing',
                                  mount_path='/etc/kubernetes/tracing', type='DirectoryOrCreate')


def change(text, container='kube-apiserver', **kwargs):
    return _yaml_doc.edit(text, lambda doc, dry_run: _static_pod.change_pod(
        doc, container, style=_yaml_doc.STYLE, dry_run=dry_run, **kwargs))


def diff(before, after):
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm='', n=0)
            if line[:1] in '+-' and line[:3] not in ('---', '+++')]


def test_new_flag_goes_in_kubeadms_name_order():
    after = change(APISERVER, flags={'tracing-config-file': '/etc/kubernetes/tracing/apiserver.yaml'})
    assert diff(APISERVER, after) == ['+    - --tracing-config-file=/etc/kubernetes/tracing/apiserver.yaml']
    lines = after.splitlines()
    position = lines.index('    - --tracing-config-file=/etc/kubernetes/tracing/apiserver.yaml')
    assert lines[position - 1] == '    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key'
    assert change(after, flags={'--tracing-config-file': '/etc/kubernetes/tracing/apiserver.yaml'}) is after


def test_flag_value_changes_in_place_and_null_removes_it():
    after = change(APISERVER, flags={'secure-port': 6444, 'allow-privileged': False})
    assert diff(APISERVER, after) == ['-    - --allow-privileged=true', '+    - --allow-privileged=false',
                                      '-    - --secure-port=6443', '+    - --secure-port=6444']
    removed = change(APISERVER, flags={'enable-bootstrap-token-auth': None})
    assert diff(APISERVER, removed) == ['-    - --enable-bootstrap-token-auth=true']
    assert change(removed, flags={'enable-bootstrap-token-auth': None}) is removed


def test_feature_gates_merge_into_the_existing_flag():
    with_gates = change(APISERVER, feature_gates={'Zeta': False, 'Alpha': True})
    assert '    - --feature-gates=Zeta=false,Alpha=true' in with_gates.splitlines()
    merged = change(with_gates, feature_gates={'APIServerTracing': True, 'Zeta': None, 'Alpha': True})
    assert '    - --feature-gates=Alpha=true,APIServerTracing=true' in merged.splitlines()
    kept_order = change(merged, feature_gates={'Alpha': False})
    assert '    - --feature-gates=Alpha=false,APIServerTracing=true' in kept_order.splitlines()
    assert change(kept_order, feature_gates={'Alpha': None, 'APIServerTracing': None}) == APISERVER


def test_gate_written_as_True_is_left_alone_when_already_on():
    text = APISERVER.replace('    - --secure-port=6443\n', '    - --feature-gates=Other=True\n    - --secure-port=6443\n')
    assert change(text, feature_gates={'Other': True}) is text


def test_mount_is_added_once_to_volumes_and_volume_mounts():
    after = change(APISERVER, mounts=[MOUNT])
    assert diff(APISERVER, after) == [
        '+    - mountPath: /etc/kubernetes/tracing', '+      name: kubetrace-tracing', '+      readOnly: true',
        '+  - hostPath:', '+      path: /etc/kubernetes/tracing', '+      type: DirectoryOrCreate',
        '+    name: kubetrace-tracing']
    assert change(after, mounts=[MOUNT]) is after
    absent = _static_pod.HostPathMount(name='kubetrace-tracing', state='absent')
    assert change(after, mounts=[absent]) == APISERVER


def test_mount_on_a_taken_path_is_refused():
    taken = _static_pod.HostPathMount(name='mine', host_path='/x', mount_path='/etc/kubernetes/pki')
    with pytest.raises(EditError, match='/etc/kubernetes/pki is already mounted from volume k8s-certs'):
        change(APISERVER, mounts=[taken])


def test_etcd_feature_gates_merge_with_kubeadms_own():
    after = change(ETCD, container='etcd', feature_gates={'Extra': True})
    assert diff(ETCD, after) == ['-    - --feature-gates=InitialCorruptCheck=true',
                                 '+    - --feature-gates=InitialCorruptCheck=true,Extra=true']


def test_older_kubeadm_manifest_keeps_creation_timestamp_null():
    text = (FIXTURES / 'kubeadm' / 'v1.33.13' / 'kube-apiserver.yaml').read_text()
    after = change(text, flags={'tracing-config-file': '/etc/kubernetes/tracing/apiserver.yaml'},
                   feature_gates={'APIServerTracing': True}, mounts=[MOUNT])
    assert '  creationTimestamp: null\n' in after
    assert [line for line in diff(text, after) if line.startswith('-')] == []


def test_etcd_flags():
    flags = {'enable-distributed-tracing': True, 'distributed-tracing-address': '10.0.0.5:4317'}
    after = change(ETCD, container='etcd', flags=flags)
    assert diff(ETCD, after) == ['+    - --distributed-tracing-address=10.0.0.5:4317',
                                 '+    - --enable-distributed-tracing=true']


@pytest.mark.parametrize('kwargs, message', [
    (dict(container='nope'), "spec.containers has no container named 'nope' (containers: kube-apiserver)"),
    (dict(flags={'feature-gates': 'A=true'}), 'set gates with feature_gates'),
    (dict(flags={'x': {'a': 1}}), 'flags.x must be a string, number or boolean'),
    (dict(flags={'a=b': 1}), "'a=b' is not a flag name"),
    (dict(feature_gates={'A': 'maybe'}), "feature_gates.A must be true, false or null"),
    (dict(feature_gates={'not a gate': True}), "'not a gate' is not a feature gate name"),
    (dict(mounts=[_static_pod.HostPathMount(name='Bad_Name', host_path='/a', mount_path='/b')]),
     "name 'Bad_Name' is not a valid volume name"),
    (dict(mounts=[_static_pod.HostPathMount(name='m', host_path='relative', mount_path='/b')]),
     "host_path must be an absolute path"),
])
def test_bad_input_is_refused(kwargs, message):
    with pytest.raises(EditError, match=re.escape(message)):
        change(APISERVER, **kwargs)


@pytest.mark.parametrize('gates', ['A=true,,B=false', 'A=yes', 'A', 'A=true,A=false'])
def test_malformed_feature_gates_are_refused(gates):
    text = APISERVER.replace('    - --secure-port=6443\n', '    - --feature-gates=%s\n    - --secure-port=6443\n' % gates)
    with pytest.raises(EditError, match='feature-gates'):
        change(text, feature_gates={'APIServerTracing': True})


def test_a_flag_given_twice_is_refused():
    text = APISERVER.replace('    - --secure-port=6443\n', '    - --secure-port=6443\n    - --secure-port=6444\n')
    with pytest.raises(EditError, match='--secure-port appears 2 times'):
        change(text, flags={'secure-port': 1})


def test_not_a_pod():
    with pytest.raises(EditError, match=re.escape('is not a Pod manifest (kind: KubeletConfiguration)')):
        change((FIXTURES / 'kubeadm' / 'v1.37.2' / 'kubelet-config.yaml').read_text(), flags={'a': 1})


def test_annotation_is_added_beside_kubeadms_and_removed_again():
    key = 'kubetrace.tracing/tracing-config-sha256'
    after = change(APISERVER, annotations={key: 'abc123'})
    assert diff(APISERVER, after) == ['+    kubetrace.tracing/tracing-config-sha256: abc123']
    assert 'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint' in after
    assert change(after, annotations={key: 'abc123'}) is after
    changed = change(after, annotations={key: 'def456'})
    assert diff(after, changed) == ['-    kubetrace.tracing/tracing-config-sha256: abc123',
                                    '+    kubetrace.tracing/tracing-config-sha256: def456']
    assert change(changed, annotations={key: None}) == APISERVER


def test_annotation_value_must_be_a_string():
    with pytest.raises(EditError, match='annotations.a: an annotation value is a string'):
        change(APISERVER, annotations={'a': 5})


NAME_FIRST = '''apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
spec:
  containers:
    - name: kube-apiserver
      command:
        - kube-apiserver
      volumeMounts:
        - name: certs
          readOnly: true
          mountPath: /etc/kubernetes/pki
  volumes:
    - name: certs
      hostPath:
        type: DirectoryOrCreate
        path: /etc/kubernetes/pki
'''


@pytest.mark.parametrize('text, volume, mount', [
    (NAME_FIRST,
     ['+    - name: kubetrace-tracing', '+      hostPath:', '+        type: DirectoryOrCreate',
      '+        path: /etc/kubernetes/tracing'],
     ['+        - name: kubetrace-tracing', '+          readOnly: true', '+          mountPath: /etc/kubernetes/tracing']),
    (APISERVER,
     ['+  - hostPath:', '+      path: /etc/kubernetes/tracing', '+      type: DirectoryOrCreate',
      '+    name: kubetrace-tracing'],
     ['+    - mountPath: /etc/kubernetes/tracing', '+      name: kubetrace-tracing', '+      readOnly: true']),
])
def test_new_volume_and_mount_take_the_key_order_of_their_siblings(text, volume, mount):
    after = change(text, mounts=[MOUNT])
    assert diff(text, after) == mount + volume
    assert change(after, mounts=[MOUNT]) is after
    assert change(after, mounts=[_static_pod.HostPathMount(name='kubetrace-tracing', state='absent')]) == text
