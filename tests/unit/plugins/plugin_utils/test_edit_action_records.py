"""Edits with a record, and the undo that gives back what the operator had, byte for byte.

The controller side of each edit module, driven directly (the node calls are covered by the
integration tests): present with ``record``, then ``restore``.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.kubetrace.tracing.plugins.action import static_pod, toml_edit, yaml_edit
from ansible_collections.kubetrace.tracing.plugins.module_utils import _record
from testpaths import FIXTURES

KUBELET = (FIXTURES / 'kubeadm' / 'v1.37.2' / 'kubelet-config.yaml').read_text()
APISERVER = (FIXTURES / 'kubeadm' / 'v1.37.2' / 'kube-apiserver.yaml').read_text()
TRACING = {'tracing.endpoint': '10.0.0.5:4317', 'tracing.samplingRatePerMillion': 1000000}
MOUNT = dict(name='kubetrace-tracing', host_path='/etc/kubernetes/tracing', mount_path='/etc/kubernetes/tracing',
             read_only=True, type='DirectoryOrCreate', state='present')


def action(cls):
    return cls.__new__(cls)


def present(cls, text, params, record, exists=True, missing_dirs=()):
    return action(cls)._present('/etc/f', text, exists, params, record, list(missing_dirs))


def restore(cls, text, params, record, exists=True):
    return action(cls)._restore('/etc/f', text, exists, params, record)


def saved(record):
    """The record as the node keeps it (through its JSON)."""
    return _record.load(_record.dump(record), 'state.json')


def tree(set_values=None, unset=()):
    return {'set': dict(set_values or {}), 'unset': list(unset)}


def pod(flags=None, gates=None, mounts=(), annotations=None):
    return dict(container='kube-apiserver', flags=flags or {}, feature_gates=gates or {},
                host_path_mounts=list(mounts), annotations=annotations or {})


OPERATOR_TRACING = KUBELET.replace('staticPodPath:', 'tracing:\n  endpoint: "10.9.9.9:4317"\nstaticPodPath:')


@pytest.mark.parametrize('original', [KUBELET, OPERATOR_TRACING], ids=['without tracing', "operator's tracing"])
def test_the_kubelet_config_comes_back_byte_for_byte(original):
    record = _record.load('', 'state.json')
    edited = present(yaml_edit.ActionModule, original, tree(TRACING), record)
    assert 'endpoint: "10.0.0.5:4317"' in edited.text or 'endpoint: 10.0.0.5:4317' in edited.text
    record = saved(record)
    back = restore(yaml_edit.ActionModule, edited.text, tree(), record)
    assert back.text == original
    assert back.kept == [] and set(back.restored) == set(TRACING)
    assert _record.dump(record) == '', 'the undo forgets the section'


def test_a_second_run_keeps_the_first_value():
    record = _record.load('', 'state.json')
    first = present(yaml_edit.ActionModule, OPERATOR_TRACING, tree(TRACING), record)
    record = saved(record)
    second = present(yaml_edit.ActionModule, first.text, tree({'tracing.endpoint': '10.0.0.6:4317'}), record)
    record = saved(record)
    back = restore(yaml_edit.ActionModule, second.text, tree(), record)
    assert back.text == OPERATOR_TRACING


def test_a_value_someone_changed_since_is_left_as_it_is():
    record = _record.load('', 'state.json')
    edited = present(yaml_edit.ActionModule, KUBELET, tree(TRACING), record)
    changed = edited.text.replace('samplingRatePerMillion: 1000000', 'samplingRatePerMillion: 5')
    back = restore(yaml_edit.ActionModule, changed, tree(), saved(record))
    assert back.kept == ['tracing.samplingRatePerMillion']
    assert back.restored == ['tracing.endpoint']
    assert 'samplingRatePerMillion: 5' in back.text and 'endpoint' not in back.text
    assert 'tracing:' in back.text, 'a container that still holds something stays'


def test_a_restore_takes_what_the_task_asks_on_top():
    gate = KUBELET.replace('kind: KubeletConfiguration\n', 'kind: KubeletConfiguration\nfeatureGates:\n  KubeletTracing: true\n')
    record = _record.load('', 'state.json')
    edited = present(yaml_edit.ActionModule, gate, tree(TRACING, ['featureGates.KubeletTracing']), record)
    assert 'KubeletTracing' not in edited.text
    assert restore(yaml_edit.ActionModule, edited.text, tree(), saved(record)).text == gate
    override = restore(yaml_edit.ActionModule, edited.text, tree(unset=['featureGates.KubeletTracing']), saved(record))
    assert 'KubeletTracing' not in override.text, 'a gate the version no longer knows is not put back'


def test_a_file_the_edit_created_is_removed_with_its_folders():
    record = _record.load('', 'state.json')
    created = present(yaml_edit.ActionModule, '', tree(TRACING), record, exists=False,
                      missing_dirs=['/etc/kubelet.conf.d'])
    assert created.make_dirs == ['/etc/kubelet.conf.d']
    back = restore(yaml_edit.ActionModule, created.text, tree(), saved(record))
    assert back.text is None and back.remove_dirs == ['/etc/kubelet.conf.d']


def test_a_file_that_was_there_before_is_never_removed():
    record = _record.load('', 'state.json')
    edited = present(yaml_edit.ActionModule, 'kind: TracingConfiguration\nendpoint: x:1\n',
                     tree({'endpoint': '10.0.0.5:4317', 'samplingRatePerMillion': 10}), record)
    back = restore(yaml_edit.ActionModule, edited.text, tree(), saved(record))
    assert back.text == 'kind: TracingConfiguration\nendpoint: x:1\n'


def test_a_restore_without_a_record_changes_only_what_the_task_asks():
    back = restore(yaml_edit.ActionModule, KUBELET, tree(), _record.load('', 'state.json'))
    assert back.text == KUBELET and back.restored == []


@pytest.mark.parametrize('version', ['1.6.20', '1.7.24'])
def test_containerd_config_comes_back_byte_for_byte(version):
    original = (FIXTURES / 'containerd' / ('config-default-%s.toml' % version)).read_text()
    keys = {'plugins."io.containerd.tracing.processor.v1.otlp".endpoint': '10.0.0.5:4318',
            'plugins."io.containerd.tracing.processor.v1.otlp".insecure': True,
            'plugins."io.containerd.internal.v1.tracing".sampling_ratio': 1.0}
    record = _record.load('', 'state.json')
    edited = present(toml_edit.ActionModule, original, tree(keys), record)
    assert edited.text != original
    back = restore(toml_edit.ActionModule, edited.text, tree(), saved(record))
    assert back.text == original


def test_the_apiserver_manifest_comes_back_byte_for_byte():
    record = _record.load('', 'state.json')
    params = pod({'tracing-config-file': '/etc/kubernetes/tracing/apiserver-tracing.yaml'}, {'APIServerTracing': True},
                 [MOUNT], {'kubetrace.tracing/tracing-config-sha256': 'abc'})
    edited = present(static_pod.ActionModule, APISERVER, params, record)
    assert '--feature-gates=APIServerTracing=true' in edited.text and 'kubetrace-tracing' in edited.text
    assert restore(static_pod.ActionModule, edited.text, pod(), saved(record)).text == APISERVER


def test_an_operators_flag_and_gate_come_back():
    operator = APISERVER.replace('    - --etcd-servers=', '    - --feature-gates=APIServerTracing=true,Foo=false\n'
                                 '    - --etcd-servers=').replace(
        '    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n',
        '    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n    - --tracing-config-file=/etc/mine.yaml\n')
    record = _record.load('', 'state.json')
    params = pod({'tracing-config-file': '/etc/kubernetes/tracing/apiserver-tracing.yaml'}, {'APIServerTracing': True},
                 [MOUNT])
    edited = present(static_pod.ActionModule, operator, params, record)
    entries = record['sections']['/etc/f']['entries']
    assert 'feature_gates:APIServerTracing' not in entries, 'a gate that was already so is not noted'
    assert entries['flags:tracing-config-file']['before'] == {'value': '/etc/mine.yaml'}
    assert restore(static_pod.ActionModule, edited.text, pod(), saved(record)).text == operator


def test_the_record_is_plain_json():
    record = _record.load('', 'state.json')
    present(static_pod.ActionModule, APISERVER, pod(mounts=[MOUNT], annotations={'a/b': 'c'}), record)
    assert json.loads(_record.dump(record))['sections']['/etc/f']['entries']['annotations:a/b']['written'] == {'value': 'c'}


CLUSTER = (FIXTURES / 'kubeadm' / 'uploaded-v1.37.2' / 'ClusterConfiguration.yaml').read_text()


def cluster(component='apiServer', extra_args=None, gates=None, volumes=None):
    return dict(name='kubeadm-config', component=component, extra_args=extra_args or {}, feature_gates=gates or {},
                extra_volumes=list(volumes or []), set={}, unset=[])


@pytest.mark.parametrize('component, params', [
    ('apiServer', cluster(extra_args={'tracing-config-file': '/etc/kubernetes/tracing/apiserver-tracing.yaml'},
                          gates={'APIServerTracing': None}, volumes=[MOUNT])),
    ('etcd', cluster('etcd', extra_args={'enable-distributed-tracing': 'true',
                                         'distributed-tracing-address': '10.0.0.5:4317',
                                         'experimental-enable-distributed-tracing': None})),
])
def test_kubeadm_config_comes_back_byte_for_byte(component, params):
    from ansible_collections.kubetrace.tracing.plugins.action import kubeadm_configmap  # pylint: disable=import-outside-toplevel
    record = _record.load('', 'state.json')
    edited = present(kubeadm_configmap.ActionModule, CLUSTER, params, record)
    assert edited.text != CLUSTER
    back = restore(kubeadm_configmap.ActionModule, edited.text, cluster(component), saved(record))
    assert back.text == CLUSTER and back.kept == []


def test_an_operators_extra_arg_in_kubeadm_config_comes_back():
    from ansible_collections.kubetrace.tracing.plugins.action import kubeadm_configmap  # pylint: disable=import-outside-toplevel
    operator = CLUSTER.replace('apiServer: {}\n', 'apiServer:\n  extraArgs:\n  - name: tracing-config-file\n'
                               '    value: /etc/kubernetes/pki/mine.yaml\n')
    record = _record.load('', 'state.json')
    edited = present(kubeadm_configmap.ActionModule, operator,
                     cluster(extra_args={'tracing-config-file': '/etc/kubernetes/tracing/apiserver-tracing.yaml'}), record)
    assert 'value: /etc/kubernetes/tracing/apiserver-tracing.yaml' in edited.text
    assert restore(kubeadm_configmap.ActionModule, edited.text, cluster(), saved(record)).text == operator


def test_a_version_1_containerd_config_gets_its_bytes_back():
    original = "# containerd 1.7.15 with its defaults, in a version 1 file\nversion = 1\n"
    keys = {'plugins.otlp.endpoint': 'http://10.0.0.5:4318', 'plugins.otlp.protocol': 'http/protobuf',
            'plugins.tracing.sampling_ratio': 1.0}
    record = _record.load('', 'state.json')
    edited = present(toml_edit.ActionModule, original, tree(keys), record)
    assert 'plugins.otlp' in edited.text
    assert restore(toml_edit.ActionModule, edited.text, tree(), saved(record)).text == original
