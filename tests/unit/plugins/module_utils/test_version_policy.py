"""One table per row of DESIGN.md's version table, boundaries included."""

from __future__ import annotations

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _version_policy as policy

V1 = 'apiserver.config.k8s.io/v1'


@pytest.mark.parametrize('version, api_version', [
    ('1.22.0', V1 + 'alpha1'),
    ('v1.26.15', V1 + 'alpha1'),
    ('1.27.0', V1 + 'beta1'),
    ('1.33.9', V1 + 'beta1'),
    ('1.34.0', V1),
    ('1.37.2', V1),
])
def test_tracing_configuration_api_version(version, api_version):
    assert policy.tracing_config_api_version(version) == api_version


@pytest.mark.parametrize('component, version, stage, gates', [
    ('kube-apiserver', '1.22.0', 'off_by_default', {'APIServerTracing': True}),
    ('kube-apiserver', '1.26.9', 'off_by_default', {'APIServerTracing': True}),
    ('kube-apiserver', '1.27.0', 'on_by_default', {}),
    ('kube-apiserver', '1.33.4', 'on_by_default', {}),
    ('kube-apiserver', '1.34.0', 'locked', {}),
    ('kube-apiserver', '1.36.3', 'locked', {}),
    ('kube-apiserver', '1.37.0', 'removed', {}),
    ('kube-apiserver', '1.38.1', 'removed', {}),
    ('kubelet', '1.25.0', 'off_by_default', {'KubeletTracing': True}),
    ('kubelet', '1.26.3', 'off_by_default', {'KubeletTracing': True}),
    ('kubelet', '1.27.0', 'on_by_default', {}),
    ('kubelet', '1.33.0', 'on_by_default', {}),
    ('kubelet', '1.34.0', 'locked', {}),
    ('kubelet', '1.37.2', 'locked', {}),
    ('kubelet', '1.38.0', 'removed', {}),
])
def test_feature_gates_only_where_off_by_default(component, version, stage, gates):
    assert policy.gate_stage(component, version) == stage
    assert policy.tracing_feature_gates(component, version) == gates


@pytest.mark.parametrize('component, version', [('kube-apiserver', '1.21.9'), ('kubelet', '1.24.17')])
def test_versions_without_tracing_are_refused(component, version):
    assert policy.gate_stage(component, version) == 'unsupported'
    with pytest.raises(policy.PolicyError, match='upgrade it first'):
        policy.tracing_feature_gates(component, version)


def test_unknown_component_and_old_apiserver():
    with pytest.raises(policy.PolicyError, match="no tracing feature gate is known for 'scheduler'"):
        policy.gate_stage('scheduler', '1.30.0')
    with pytest.raises(policy.PolicyError, match='came in 1.22'):
        policy.tracing_config_api_version('1.21.0')


@pytest.mark.parametrize('version, supported, config_dir', [
    ('1.24.9', False, 'none'),
    ('1.25.0', True, 'none'),
    ('1.27.3', True, 'none'),
    ('1.28.0', True, 'flag_with_env'),
    ('1.29.9', True, 'flag_with_env'),
    ('1.30.0', True, 'flag'),
    ('1.37.2', True, 'flag'),
])
def test_kubelet(version, supported, config_dir):
    assert policy.kubelet_tracing_supported(version) is supported
    assert policy.kubelet_config_dir_support(version) == config_dir


@pytest.mark.parametrize('version, api, extra_args', [
    ('1.30.14', 'kubeadm.k8s.io/v1beta3', 'map'),
    ('1.31.0', 'kubeadm.k8s.io/v1beta4', 'list'),
])
def test_kubeadm_config_api(version, api, extra_args):
    assert policy.kubeadm_config_api(version) == {'api_version': api, 'extra_args': extra_args}


@pytest.mark.parametrize('version, mechanisms', [
    ('1.6.0', ['toml']),
    ('1.6.20~ds1-1', ['toml']),
    ('1.6.31', ['toml']),
    ('1.6.32', ['env']),
    ('1.6.38', ['env']),
    ('1.7.0', ['toml']),
    ('1.7.15', ['toml']),
    ('1.7.16', ['env']),
    ('1.7.18', ['env']),
    ('1.7.19', ['toml', 'env']),
    ('1.7.24', ['toml', 'env']),
    ('2.0.0', ['env']),
    ('v2.2.9', ['env']),
])
def test_containerd_mechanisms(version, mechanisms):
    assert policy.containerd_tracing_mechanisms(version) == mechanisms


@pytest.mark.parametrize('version', ['1.5.18', '1.8.0'])
def test_containerd_versions_without_a_known_mechanism(version):
    with pytest.raises(policy.PolicyError):
        policy.containerd_tracing_mechanisms(version)


@pytest.mark.parametrize('version, enable, sampling, obsolete', [
    ('3.5.0', 'experimental-enable-distributed-tracing', None, 0),
    ('3.5.10', 'experimental-enable-distributed-tracing', None, 0),
    ('3.5.11', 'experimental-enable-distributed-tracing', 'experimental-distributed-tracing-sampling-rate', 0),
    ('3.6.0', 'enable-distributed-tracing', 'distributed-tracing-sampling-rate', 5),
    ('3.6.5-0', 'enable-distributed-tracing', 'distributed-tracing-sampling-rate', 5),
    ('3.7.3', 'enable-distributed-tracing', 'distributed-tracing-sampling-rate', 5),
])
def test_etcd_flag_names(version, enable, sampling, obsolete):
    flags = policy.etcd_tracing_flags(version)
    assert flags['enable'] == enable
    assert flags['sampling_rate'] == sampling
    assert flags['address'].endswith('distributed-tracing-address')
    old = policy.etcd_obsolete_tracing_flags(version)
    assert len(old) == obsolete
    assert all(name.startswith('experimental-') for name in old)
    assert not set(old) & set(flags.values())


def test_etcd_before_tracing():
    with pytest.raises(policy.PolicyError, match='came in 3.5'):
        policy.etcd_tracing_flags('3.4.23')


@pytest.mark.parametrize('version, supported', [('1.22.9', False), ('1.23.0', True)])
def test_crio(version, supported):
    assert policy.crio_tracing_supported(version) is supported


@pytest.mark.parametrize('version, apis', [
    ('2.0.0', ['api_v3', 'api_v2']),
    ('2.20.0', ['api_v3', 'api_v2']),
    ('2.21.0', ['api_v3']),
    ('2.13.0', ['api_v3', 'api_v2']),
])
def test_jaeger_query_apis(version, apis):
    assert policy.jaeger_query_apis(version) == apis


def test_jaeger_v1_is_refused():
    with pytest.raises(policy.PolicyError, match='end of life'):
        policy.jaeger_query_apis('1.76.0')


@pytest.mark.parametrize('text', ['', 'latest', None, 'v', '1'])
def test_not_a_version(text):
    with pytest.raises(policy.PolicyError, match='is not a version'):
        policy.parse_version(text)


def test_etcd_flag_values_on_36_set_new_names_and_remove_experimental_ones():
    values = policy.etcd_tracing_flag_values('3.6.16', {'enable': True, 'address': 'j:4317', 'sampling_rate': 0})
    assert values['enable-distributed-tracing'] is True
    assert values['distributed-tracing-address'] == 'j:4317'
    assert values['distributed-tracing-sampling-rate'] == 0
    assert values['distributed-tracing-service-name'] is None
    assert values['experimental-enable-distributed-tracing'] is None
    assert len(values) == 10


def test_etcd_flag_values_on_early_35_have_no_sampling_rate_and_undo_is_all_none():
    values = policy.etcd_tracing_flag_values('3.5.9', {'enable': True, 'sampling_rate': 5})
    assert values == {'experimental-enable-distributed-tracing': True,
                      'experimental-distributed-tracing-address': None,
                      'experimental-distributed-tracing-service-name': None,
                      'experimental-distributed-tracing-instance-id': None}
    assert set(policy.etcd_tracing_flag_values('3.7.3').values()) == {None}
    with pytest.raises(policy.PolicyError, match='rate are not known'):
        policy.etcd_tracing_flag_values('3.6.0', {'rate': 1})


@pytest.mark.parametrize('component, version, present, absent', [
    ('kube-apiserver', '1.26.15', {'APIServerTracing': True}, {}),
    ('kube-apiserver', '1.27.0', {'APIServerTracing': None}, {}),
    ('kube-apiserver', '1.33.13', {'APIServerTracing': None}, {}),
    ('kube-apiserver', '1.36.3', {'APIServerTracing': None}, {}),
    ('kube-apiserver', '1.37.2', {'APIServerTracing': None}, {'APIServerTracing': None}),
    ('kubelet', '1.25.0', {'KubeletTracing': True}, {}),
    ('kubelet', '1.33.13', {'KubeletTracing': None}, {}),
    ('kubelet', '1.37.2', {'KubeletTracing': None}, {}),
    ('kubelet', '1.38.0', {'KubeletTracing': None}, {'KubeletTracing': None}),
])
def test_gate_changes_write_the_gate_only_where_needed_and_an_undo_never_names_a_removed_one(component, version, present, absent):
    assert policy.tracing_feature_gate_changes(component, version) == present
    assert policy.tracing_feature_gate_changes(component, version, 'absent') == absent


def test_gate_changes_refuse_versions_without_tracing_and_unknown_states():
    with pytest.raises(policy.PolicyError, match='came in 1.22'):
        policy.tracing_feature_gate_changes('kube-apiserver', '1.21.0')
    with pytest.raises(policy.PolicyError, match='present or absent'):
        policy.tracing_feature_gate_changes('kubelet', '1.30.0', 'off')


@pytest.mark.parametrize('version, config_dir, env, mode, target', [
    ('1.37.2', '/etc/kubernetes/kubelet.conf.d', False, 'auto', 'dropin'),
    ('1.37.2', None, False, 'auto', 'config'),
    ('1.37.2', '/etc/kubernetes/kubelet.conf.d', False, 'config', 'config'),
    ('1.29.9', '/etc/kubernetes/kubelet.conf.d', True, 'auto', 'dropin'),
    ('1.29.9', '/etc/kubernetes/kubelet.conf.d', False, 'auto', 'config'),
    ('1.28.0', '/etc/kubernetes/kubelet.conf.d', True, 'dropin', 'dropin'),
    ('1.27.16', '/etc/kubernetes/kubelet.conf.d', True, 'auto', 'config'),
])
def test_kubelet_config_target_writes_a_drop_in_only_where_the_kubelet_reads_it(version, config_dir, env, mode, target):
    assert policy.kubelet_config_target(version, config_dir, env, mode) == target


@pytest.mark.parametrize('version, config_dir, env, message', [
    ('1.37.2', None, False, 'it runs without --config-dir'),
    ('1.29.9', '/etc/kubelet.conf.d', False, 'reads --config-dir drop-ins only with KUBELET_CONFIG_DROPIN_DIR_ALPHA'),
    ('1.27.16', '/etc/kubelet.conf.d', True, 'kubelet 1.27.16 reads no --config-dir drop-ins'),
])
def test_a_drop_in_the_kubelet_would_ignore_is_refused(version, config_dir, env, message):
    with pytest.raises(policy.PolicyError, match=message):
        policy.kubelet_config_target(version, config_dir, env, 'dropin')


@pytest.mark.parametrize('config_version, otlp', [
    (2, 'plugins."io.containerd.tracing.processor.v1.otlp".endpoint'),
    ('2', 'plugins."io.containerd.tracing.processor.v1.otlp".endpoint'),
    (1, 'plugins.otlp.endpoint'),
    (None, 'plugins.otlp.endpoint'),
])
def test_containerd_tracing_keys_follow_the_config_version(config_version, otlp):
    keys = policy.containerd_tracing_keys(config_version, '10.0.0.5:4318', 'http/protobuf', 1, 'containerd')
    assert keys[otlp] == 'http://10.0.0.5:4318', 'the otlp plugin parses an http endpoint as a URL'
    assert policy.containerd_tracing_keys(config_version, '[fd00::5]:4317', 'grpc', 1, 'c')[otlp] == '[fd00::5]:4317'
    assert sorted(key.rsplit('.', 1)[1] for key in keys) == ['endpoint', 'insecure', 'protocol', 'sampling_ratio',
                                                             'service_name']
    assert isinstance([value for key, value in keys.items() if key.endswith('sampling_ratio')][0], float)


def test_a_protocol_containerd_does_not_take_is_refused():
    with pytest.raises(policy.PolicyError, match="http/protobuf or grpc, not 'http'"):
        policy.containerd_tracing_keys(2, 'a:1', 'http', 1.0, 'containerd')


def test_a_containerd_config_version_without_tracing_tables_is_refused():
    with pytest.raises(policy.PolicyError, match='config version 3 carries no tracing tables'):
        policy.containerd_tracing_keys(3, 'a:1', 'grpc', 1.0, 'containerd')
