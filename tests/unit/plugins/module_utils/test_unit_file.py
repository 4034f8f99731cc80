from __future__ import annotations

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _unit_file
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError

UNIT = """[Unit]
Description=Kubernetes API Server

[Service]
# flags as the hard way writes them
ExecStart=/usr/local/bin/kube-apiserver \\
  --advertise-address=10.0.0.2 \\
  --etcd-servers=https://10.0.0.2:2379 \\
  --encryption-provider-config="/var/lib/kubernetes/encryption config.yaml"
Restart=on-failure

[Install]
WantedBy=multi-user.target
"""


def test_exec_start_joins_continuation_lines_and_unquotes():
    assert _unit_file.exec_start(UNIT) == [
        '/usr/local/bin/kube-apiserver', '--advertise-address=10.0.0.2', '--etcd-servers=https://10.0.0.2:2379',
        '--encryption-provider-config=/var/lib/kubernetes/encryption config.yaml']


def test_flags_set_in_place_added_and_removed_and_the_line_round_trips():
    argv = _unit_file.exec_start(UNIT)
    changed = _unit_file.with_flags(argv, {'tracing-config-file': '/etc/kubernetes/tracing/a.yaml',
                                           '--advertise-address': '10.0.0.3'})
    assert changed[1] == '--advertise-address=10.0.0.3'
    assert changed[-1] == '--tracing-config-file=/etc/kubernetes/tracing/a.yaml'
    assert _unit_file.with_flags(changed, {'tracing-config-file': None, 'advertise-address': '10.0.0.2'}) == argv
    dropin = '[Service]\nExecStart=\nExecStart=' + _unit_file.command_line(changed) + '\n'
    assert _unit_file.exec_start(dropin) == changed


def test_unit_without_exec_start_and_two_word_flags_are_refused():
    with pytest.raises(EditError, match='x.service has no ExecStart'):
        _unit_file.exec_start('[Service]\nType=simple\n', 'x.service')
    with pytest.raises(EditError, match='--secure-port is given as two words'):
        _unit_file.with_flags(['kube-apiserver', '--secure-port', '6443'], {'secure-port': 6444})


OPERATOR_DROPIN = """[Service]
ExecStart=
ExecStart=/usr/local/bin/kube-apiserver --advertise-address=10.0.0.3 \\
  --experimental-thing=1
"""


UNIT_ARGV = ['/usr/local/bin/kube-apiserver', '--advertise-address=10.0.0.2', '--etcd-servers=https://10.0.0.2:2379',
             '--encryption-provider-config=/var/lib/kubernetes/encryption config.yaml']


@pytest.mark.parametrize('files, expected', [
    ([('unit', UNIT)], UNIT_ARGV),
    ([('unit', UNIT), ('10-operator.conf', OPERATOR_DROPIN)],
     ['/usr/local/bin/kube-apiserver', '--advertise-address=10.0.0.3', '--experimental-thing=1']),
    ([('unit', UNIT), ('20-env.conf', '[Service]\nEnvironment=A=1\n')], UNIT_ARGV),
    ([('unit', UNIT), ('gone.conf', None)], UNIT_ARGV),
], ids=['unit-alone', 'operator-drop-in-replaces-it', 'drop-in-without-exec-start', 'unreadable-drop-in'])
def test_the_effective_command_line_follows_the_operators_drop_ins(files, expected):
    assert _unit_file.effective_exec_start(files) == expected


def test_an_empty_exec_start_resets_and_nothing_after_it_is_an_error():
    with pytest.raises(EditError, match=r'no ExecStart in the \[Service\] section of unit, reset.conf'):
        _unit_file.effective_exec_start([('unit', UNIT), ('reset.conf', '[Service]\nExecStart=\n')])


def test_a_drop_in_text_sets_unsets_and_replaces_the_command_line():
    text = _unit_file.dropin_text('etcd role', ['/usr/bin/etcd', '--name=cp1', '--enable-distributed-tracing=true'],
                                  {'GOMAXPROCS': 2, 'QUOTED': 'a "b"'}, ['ETCD_ENABLE_DISTRIBUTED_TRACING'])
    assert text == ('# Written by kubetrace.tracing; etcd role.\n'
                    '# playbooks/disable.yml removes this file; run site.yml again after changing the unit.\n'
                    '[Service]\n'
                    'UnsetEnvironment=ETCD_ENABLE_DISTRIBUTED_TRACING\n'
                    'Environment="GOMAXPROCS=2"\n'
                    'Environment="QUOTED=a \\"b\\""\n'
                    'ExecStart=\n'
                    'ExecStart=/usr/bin/etcd \\\n    --name=cp1 \\\n    --enable-distributed-tracing=true\n')
    assert _unit_file.written_by_us(text)
    assert not _unit_file.written_by_us('[Service]\nEnvironment=A=1\n')


def test_a_variable_name_that_is_not_one_is_refused():
    with pytest.raises(EditError, match="environment: 'A B' is not a variable name"):
        _unit_file.dropin_text('', None, {'A B': 1})


@pytest.mark.parametrize('argv, gates, expected', [
    (['k', '--v=2'], {'APIServerTracing': True}, ['k', '--v=2', '--feature-gates=APIServerTracing=true']),
    (['k', '--feature-gates=A=false'], {'APIServerTracing': True}, ['k', '--feature-gates=A=false,APIServerTracing=true']),
    (['k', '--feature-gates=APIServerTracing=true'], {'APIServerTracing': None}, ['k']),
    (['k', '--feature-gates=A=true,APIServerTracing=true'], {'APIServerTracing': None}, ['k', '--feature-gates=A=true']),
    (['k'], {}, ['k']),
])
def test_feature_gates_merge_into_the_command_line(argv, gates, expected):
    assert _unit_file.with_feature_gates(argv, gates) == expected


def test_a_malformed_gate_on_the_command_line_is_refused():
    with pytest.raises(EditError, match='is malformed'):
        _unit_file.with_feature_gates(['k', '--feature-gates=A'], {'B': True})
