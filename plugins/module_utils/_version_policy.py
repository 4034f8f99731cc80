# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: which tracing settings each component version accepts.

Pure functions over version strings, one per question a role asks. The
facts and their sources are in DESIGN.md's version table; the unit test
walks every row of it, boundaries included.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError


class PolicyError(EditError):
    """A version this collection cannot serve, with what to do instead."""


class Version(NamedTuple):
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return '%d.%d.%d' % self


_VERSION = re.compile(r'^\s*v?(\d+)\.(\d+)(?:\.(\d+))?')


def parse_version(text) -> Version:
    """Version from ``v1.37.2``, ``1.34``, ``1.7.24~ds1-1``, ``3.6.5-0``."""
    match = _VERSION.match(str(text)) if text is not None else None
    if not match:
        raise PolicyError('%r is not a version; give it as MAJOR.MINOR[.PATCH], e.g. 1.37.2' % (text,))
    return Version(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


# gate, first version with the feature, on by default from, locked (GA) from, removed from
_GATES = {
    'kube-apiserver': ('APIServerTracing', (1, 22), (1, 27), (1, 34), (1, 37)),
    'kubelet': ('KubeletTracing', (1, 25), (1, 27), (1, 34), (1, 38)),
}


def _gate_row(component: str):
    try:
        return _GATES[component]
    except KeyError:
        raise PolicyError('no tracing feature gate is known for %r; use one of %s'
                          % (component, ', '.join(sorted(_GATES)))) from None


def gate_stage(component: str, version) -> str:
    """Stage of the component's tracing gate: unsupported, off_by_default, on_by_default, locked, removed."""
    _gate, since, default_on, locked, removed = _gate_row(component)
    minor = parse_version(version)[:2]
    if minor < since:
        return 'unsupported'
    if minor < default_on:
        return 'off_by_default'
    if minor < locked:
        return 'on_by_default'
    if minor < removed:
        return 'locked'
    return 'removed'


def tracing_feature_gates(component: str, version) -> dict:
    """Gates to set for tracing: only where the feature is off by default."""
    gate = _gate_row(component)[0]
    stage = gate_stage(component, version)
    if stage == 'unsupported':
        raise PolicyError('%s %s cannot export traces (it came in %d.%d); upgrade it first'
                          % (component, version, *_gate_row(component)[1]))
    return {gate: True} if stage == 'off_by_default' else {}


def tracing_feature_gate_changes(component: str, version, state: str = 'present') -> dict:
    """Gate -> True (write it) or None (take it out) for a role in ``state``.

    present: the gate is written where the feature is off by default, and taken out everywhere else:
    there it is redundant while the gate is on by default or locked, and it stops the component once
    the gate is removed from the code, so a cluster upgraded past that point must not carry it.
    absent: the record of what the role replaced puts back what the operator had; only where the gate is
    removed from the code is it taken out whatever the record says, since naming it stops the component.
    """
    if state not in ('present', 'absent'):
        raise PolicyError('state must be present or absent, not %r' % (state,))
    gate = _gate_row(component)[0]
    stage = gate_stage(component, version)
    if stage == 'unsupported':
        tracing_feature_gates(component, version)          # raises with the version it needs
    if state == 'absent':
        return {gate: None} if stage == 'removed' else {}
    return {gate: True} if stage == 'off_by_default' else {gate: None}


def tracing_config_api_version(version) -> str:
    """apiVersion of kube-apiserver's TracingConfiguration file."""
    minor = parse_version(version)[:2]
    if minor < (1, 22):
        raise PolicyError('kube-apiserver %s has no --tracing-config-file (it came in 1.22); upgrade it first'
                          % version)
    if minor < (1, 27):
        return 'apiserver.config.k8s.io/v1alpha1'
    if minor < (1, 34):
        return 'apiserver.config.k8s.io/v1beta1'
    return 'apiserver.config.k8s.io/v1'


def kubelet_tracing_supported(version) -> bool:
    return parse_version(version)[:2] >= (1, 25)


def kubelet_config_dir_support(version) -> str:
    """How the kubelet takes ``--config-dir`` drop-ins: flag, flag_with_env or none."""
    minor = parse_version(version)[:2]
    if minor >= (1, 30):
        return 'flag'
    if minor >= (1, 28):
        return 'flag_with_env'
    return 'none'


def kubelet_config_target(version, config_dir=None, config_dir_env=False, mode='auto') -> str:
    """Where the kubelet's tracing settings go: ``dropin`` (a file in its --config-dir) or ``config`` (its
    --config file). A drop-in only where this kubelet reads it: it runs with --config-dir, and on 1.28-1.29
    its environment also sets KUBELET_CONFIG_DROPIN_DIR_ALPHA (without it those kubelets refuse the flag, so
    one that runs with --config-dir and no variable visible in its unit is not trusted with a drop-in)."""
    support = kubelet_config_dir_support(version)
    readable = bool(config_dir) and (support == 'flag' or (support == 'flag_with_env' and bool(config_dir_env)))
    if mode == 'config':
        return 'config'
    if mode == 'dropin':
        if not readable:
            why = ('it runs without --config-dir' if not config_dir else
                   'kubelet %s reads no --config-dir drop-ins' % version if support == 'none' else
                   'kubelet %s reads --config-dir drop-ins only with KUBELET_CONFIG_DROPIN_DIR_ALPHA in its '
                   'environment, which its unit does not set' % version)
            raise PolicyError('a drop-in would be ignored: %s; use mode config (the --config file) or auto' % why)
        return 'dropin'
    if mode != 'auto':
        raise PolicyError('mode must be auto, dropin or config, not %r' % (mode,))
    return 'dropin' if readable else 'config'


def kubeadm_config_api(version) -> dict:
    """kubeadm's ClusterConfiguration apiVersion and the shape of its extraArgs."""
    if parse_version(version)[:2] >= (1, 31):
        return {'api_version': 'kubeadm.k8s.io/v1beta4', 'extra_args': 'list'}
    return {'api_version': 'kubeadm.k8s.io/v1beta3', 'extra_args': 'map'}


def containerd_tracing_mechanisms(version) -> list:
    """Which of ``toml`` (config.toml keys) and ``env`` (OTEL_* variables) this containerd reads."""
    found = parse_version(version)
    if found < (1, 6, 0):
        raise PolicyError('containerd %s cannot export traces (tracing came in 1.6.0); upgrade it first'
                          % version)
    if found[:2] == (1, 6):
        return ['toml'] if found < (1, 6, 32) else ['env']
    if found[:2] == (1, 7):
        if found < (1, 7, 16):
            return ['toml']
        return ['env'] if found < (1, 7, 19) else ['toml', 'env']
    if found < (2, 0, 0):
        raise PolicyError('containerd %s is not a known release line; give a 1.6, 1.7 or 2.x version' % version)
    return ['env']


_ETCD_FIELDS = ('enable', 'address', 'service_name', 'instance_id', 'sampling_rate')
_ETCD_NEW = {
    'enable': 'enable-distributed-tracing',
    'address': 'distributed-tracing-address',
    'service_name': 'distributed-tracing-service-name',
    'instance_id': 'distributed-tracing-instance-id',
    'sampling_rate': 'distributed-tracing-sampling-rate',
}
_ETCD_EXPERIMENTAL = {field: 'experimental-' + flag for field, flag in _ETCD_NEW.items()}


def etcd_tracing_flags(version) -> dict:
    """Flag names (without dashes) etcd takes for each tracing setting; None where it has none."""
    found = parse_version(version)
    if found[:2] < (3, 5):
        raise PolicyError('etcd %s cannot export traces (tracing came in 3.5); upgrade it first' % version)
    if found[:2] == (3, 5):
        flags = dict(_ETCD_EXPERIMENTAL)
        if found < (3, 5, 11):
            flags['sampling_rate'] = None
        return flags
    return dict(_ETCD_NEW)


def etcd_obsolete_tracing_flags(version) -> list:
    """Experimental flag names to take out when the new names are written (3.6 on; 3.7 refuses them)."""
    if parse_version(version)[:2] < (3, 6):
        return []
    return [_ETCD_EXPERIMENTAL[field] for field in _ETCD_FIELDS]


def etcd_tracing_flag_values(version, settings=None) -> dict:
    """Flag name -> value for this etcd: each of ``settings`` (enable, address, service_name, instance_id,
    sampling_rate) under the name this version takes, and None (remove) for the names it must not have.
    With no settings every tracing flag name is None: that undoes them."""
    settings = settings or {}
    unknown = sorted(set(settings) - set(_ETCD_FIELDS))
    if unknown:
        raise PolicyError('etcd tracing settings %s are not known; use %s' % (', '.join(unknown), ', '.join(_ETCD_FIELDS)))
    values = {name: None for name in etcd_obsolete_tracing_flags(version)}
    for field, name in etcd_tracing_flags(version).items():
        if name:
            values[name] = settings.get(field)
    return values


def crio_tracing_supported(version) -> bool:
    return parse_version(version)[:2] >= (1, 23)


def jaeger_query_apis(version) -> list:
    """Query APIs a Jaeger v2 serves, preferred first: api_v3, and the older api_v2 before 2.21."""
    found = parse_version(version)
    if found.major < 2:
        raise PolicyError('Jaeger %s is v1, which reached end of life on 2025-12-31; use Jaeger 2.x' % version)
    return ['api_v3', 'api_v2'] if found[:2] < (2, 21) else ['api_v3']


_CONTAINERD_TABLES = {
    # config version 2 names a plugin by its type and id; version 1 by its id alone (containerd 1.x reads both
    # forms of the file, and ignores a version 2 name in a version 1 file)
    2: ('plugins."io.containerd.tracing.processor.v1.otlp"', 'plugins."io.containerd.internal.v1.tracing"'),
    1: ('plugins.otlp', 'plugins.tracing'),
}


def _containerd_tracing_tables(config_version) -> list:
    """The config.toml tables of containerd's two tracing plugins, as this file's ``version`` names them."""
    try:
        return list(_CONTAINERD_TABLES[int(config_version or 1)])
    except (KeyError, ValueError):
        raise PolicyError('containerd config version %r carries no tracing tables this collection knows (version 1 '
                          'and 2 do; containerd 2.x reads its tracing from OTEL_* variables)' % (config_version,)) from None


def containerd_tracing_keys(config_version, endpoint, protocol, sampling_ratio, service_name) -> dict:
    """Key path -> value of the tracing settings in a containerd config.toml of ``config_version``.

    ``endpoint`` is host:port. The otlp plugin parses an http/protobuf endpoint as a URL (host:port alone fails
    to load it: "first path segment in URL cannot contain colon") and takes a grpc endpoint as host:port."""
    otlp, tracing = _containerd_tracing_tables(config_version)
    if protocol not in ('http/protobuf', 'grpc'):
        raise PolicyError('containerd takes the protocol http/protobuf or grpc, not %r' % (protocol,))
    if protocol == 'http/protobuf' and '://' not in endpoint:
        endpoint = 'http://' + endpoint
    return {otlp + '.endpoint': endpoint, otlp + '.protocol': protocol, otlp + '.insecure': True,
            tracing + '.sampling_ratio': float(sampling_ratio), tracing + '.service_name': service_name}
