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
