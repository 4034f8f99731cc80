"""systemd_dropin on a stdlib-only node: the unit's own command line with the flags, variables, the record,
and the undo that removes only what this collection made."""

from __future__ import annotations

import json

from test_edit_contract import snapshot

UNIT = """[Unit]
Description=etcd

[Service]
EnvironmentFile=-/etc/etcd.env
ExecStart=/usr/local/bin/etcd --name=cp1 \\
  --data-dir=/var/lib/etcd --experimental-enable-distributed-tracing=true
Restart=always
"""
FLAGS = {'enable-distributed-tracing': True, 'distributed-tracing-address': '10.0.0.5:4317',
         'experimental-enable-distributed-tracing': None}


def files(tmp_path):
    unit = tmp_path / 'etcd.service'
    unit.write_text(UNIT)
    return unit, tmp_path / 'etcd.service.d' / '50-kubetrace-tracing.conf', tmp_path / 'state' / 'etcd.json'


def test_the_drop_in_repeats_the_units_command_line_with_the_flags(play, tmp_path):
    unit, dropin, record = files(tmp_path)
    args = {'path': str(dropin), 'unit_files': [str(unit), str(dropin)], 'exec_start_flags': FLAGS,
            'unset_environment': ['ETCD_ENABLE_DISTRIBUTED_TRACING'], 'comment': 'etcd role', 'record': str(record)}
    check = play('kubetrace.tracing.systemd_dropin', args, check=True, diff=True)
    assert check.result['changed'] is True and not dropin.parent.exists()
    run = play('kubetrace.tracing.systemd_dropin', args)
    assert run.result['changed'] is True and run.result['created'] is True
    assert dropin.read_text().endswith(
        'UnsetEnvironment=ETCD_ENABLE_DISTRIBUTED_TRACING\nExecStart=\nExecStart=/usr/local/bin/etcd \\\n'
        '    --name=cp1 \\\n    --data-dir=/var/lib/etcd \\\n    --enable-distributed-tracing=true \\\n'
        '    --distributed-tracing-address=10.0.0.5:4317\n')
    assert oct(dropin.stat().st_mode & 0o777) == '0o644'
    again = play('kubetrace.tracing.systemd_dropin', args)
    assert again.result['changed'] is False and again.executions == 1, 'its own drop-in is not read back as the unit'
    back = play('kubetrace.tracing.systemd_dropin', {'path': str(dropin), 'record': str(record), 'restore': True})
    assert back.result['changed'] is True and not dropin.parent.exists() and not record.exists()


def test_an_operators_file_at_that_path_comes_back(play, tmp_path):
    _unit, dropin, record = files(tmp_path)
    dropin.parent.mkdir()
    dropin.write_text('[Service]\nEnvironment="OTEL_SERVICE_NAME=mine"\n')
    before = snapshot(dropin)
    play('kubetrace.tracing.systemd_dropin', {'path': str(dropin), 'environment': {'OTEL_SERVICE_NAME': 'containerd'},
                                              'record': str(record)})
    assert 'OTEL_SERVICE_NAME=containerd' in dropin.read_text()
    assert json.loads(record.read_text())['sections'][str(dropin)]['created_file'] is False
    play('kubetrace.tracing.systemd_dropin', {'path': str(dropin), 'record': str(record), 'restore': True})
    assert dropin.read_bytes() == before[0]


def test_a_drop_in_an_earlier_kubetrace_wrote_without_a_record_is_removed(play, tmp_path):
    _unit, dropin, record = files(tmp_path)
    dropin.parent.mkdir()
    dropin.write_text('# Ansible managed\n# containerd settings of kubetrace.tracing\n[Service]\nEnvironment="A=1"\n')
    run = play('kubetrace.tracing.systemd_dropin', {'path': str(dropin), 'record': str(record), 'restore': True})
    assert run.result['changed'] is True and not dropin.exists()
    other = dropin.parent / '10-operator.conf'
    other.write_text('[Service]\nEnvironment="A=1"\n')
    kept = play('kubetrace.tracing.systemd_dropin', {'path': str(other), 'record': str(record), 'restore': True})
    assert kept.result['changed'] is False and other.exists(), 'a file nobody recorded and we did not write stays'


def test_a_unit_without_exec_start_is_an_error_that_names_it(play, tmp_path):
    unit, dropin, record = files(tmp_path)
    unit.write_text('[Unit]\nDescription=nothing to run\n')
    run = play('kubetrace.tracing.systemd_dropin', {'path': str(dropin), 'unit_files': [str(unit)],
                                                    'exec_start_flags': FLAGS, 'record': str(record)})
    assert run.results[0]['status'] == 'failed'
    assert run.result['msg'] == ('%s: no ExecStart in the [Service] section of %s; is it the unit that runs the '
                                 'program?' % (dropin, unit))
    assert not dropin.parent.exists() and not record.exists()
