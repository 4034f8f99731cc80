from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.filter.processes import runs_with_flags

OLD = '812 kube-apiserver --advertise-address=10.0.0.2 --secure-port=6443'
NEW = '977 kube-apiserver --advertise-address=10.0.0.2 --secure-port=6443 --tracing-config-file=/etc/t.yaml'


def test_the_new_process_is_told_by_its_flags():
    flags = {'tracing-config-file': '/etc/t.yaml'}
    assert not runs_with_flags([OLD], flags)
    assert runs_with_flags([OLD, NEW], flags)
    assert runs_with_flags('\n'.join([NEW]), {'--secure-port': 6443, 'tracing-config-file': '/etc/t.yaml'})
    assert not runs_with_flags([NEW], {'tracing-config-file': '/etc/other.yaml'})


def test_none_means_the_flag_is_gone():
    assert runs_with_flags([OLD], {'tracing-config-file': None})
    assert not runs_with_flags([NEW], {'tracing-config-file': None})
    assert runs_with_flags(['5 etcd --enable-distributed-tracing=true'], {'enable-distributed-tracing': True,
                                                                          'experimental-enable-distributed-tracing': None})


def test_no_process_no_match():
    assert not runs_with_flags([], {})
    assert not runs_with_flags([''], {'a': None})


def test_flags_must_be_a_dict():
    with pytest.raises(AnsibleFilterError, match='flags must be a dict'):
        runs_with_flags([OLD], ['tracing-config-file'])


def test_a_process_that_ran_before_the_change_does_not_count():
    flags = {'tracing-config-file': '/etc/t.yaml'}
    assert not runs_with_flags([NEW], flags, before=[NEW])
    assert runs_with_flags([NEW.replace('977', '1002')], flags, before=NEW)
    assert runs_with_flags([NEW], flags, before=[])
