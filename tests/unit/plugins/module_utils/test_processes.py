"""Telling the new process of a component from the old one, by pid and flags."""

from __future__ import annotations

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _processes

OLD = ('812', ['kube-apiserver', '--advertise-address=10.0.0.2', '--secure-port=6443'])
NEW = ('977', ['kube-apiserver', '--advertise-address=10.0.0.2', '--secure-port=6443',
               '--tracing-config-file=/etc/t.yaml'])


@pytest.mark.parametrize('processes, flags, old, expected', [
    ([OLD], {'tracing-config-file': '/etc/t.yaml'}, [], []),
    ([OLD, NEW], {'tracing-config-file': '/etc/t.yaml'}, [], ['977']),
    ([NEW], {'--secure-port': 6443, 'tracing-config-file': '/etc/t.yaml'}, [], ['977']),
    ([NEW], {'tracing-config-file': '/etc/other.yaml'}, [], []),
    ([OLD], {'tracing-config-file': None}, [], ['812']),
    ([NEW], {'tracing-config-file': None}, [], []),
    ([('5', ['etcd', '--enable-distributed-tracing=true'])],
     {'enable-distributed-tracing': True, 'experimental-enable-distributed-tracing': None}, [], ['5']),
    ([NEW], {'tracing-config-file': '/etc/t.yaml'}, ['977'], []),
    ([NEW], {'tracing-config-file': '/etc/t.yaml'}, [977], []),
    ([], {}, [], []),
    ([('9', [])], {'a': None}, [], []),
], ids=['old-lacks-flag', 'new-has-flag', 'numbers-as-text', 'other-value', 'absent-ok', 'absent-present',
        'etcd-booleans', 'old-pid', 'old-pid-as-int', 'nothing-runs', 'empty-argv'])
def test_new_matching(processes, flags, old, expected):
    assert _processes.new_matching(processes, flags, old) == expected


def test_describe_is_short():
    assert _processes.describe([]) == 'none running'
    assert _processes.describe([OLD]) == '812 kube-apiserver --advertise-address=10.0.0.2 --secure-port=6443'
    assert len(_processes.describe([NEW] * 20, limit=50)) == 50
