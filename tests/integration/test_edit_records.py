"""Records and undo through a real ansible-playbook on a stdlib-only node: the record file on disk,
the file the edits created removed with its folders, check mode, and a record that is not ours."""

from __future__ import annotations

import json
import os
import shutil

from test_edit_contract import snapshot
from testpaths import FIXTURES

KUBELET = FIXTURES / 'kubeadm' / 'v1.37.2' / 'kubelet-config.yaml'
TRACING = {'tracing.endpoint': '10.0.0.5:4317', 'tracing.samplingRatePerMillion': 10000}


def test_a_change_is_recorded_and_the_undo_gives_back_every_byte(play, tmp_path):
    path = tmp_path / 'config.yaml'
    shutil.copy(KUBELET, path)
    record = tmp_path / 'state' / 'kubelet.json'
    first = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'set': TRACING, 'record': str(record)})
    assert first.result['changed'] is True and first.executions == 2
    kept = json.loads(record.read_text())['sections'][str(path)]
    assert kept['created'] == ['tracing'] and kept['entries']['tracing.endpoint']['before'] == {}
    assert oct(os.stat(record).st_mode & 0o777) == '0o600'
    again = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'set': TRACING, 'record': str(record)})
    assert again.result['changed'] is False and again.executions == 1
    back = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'restore': True, 'record': str(record)})
    assert back.result['changed'] is True
    assert sorted(back.result['restored']) == sorted(TRACING)
    assert path.read_bytes() == KUBELET.read_bytes()
    assert not record.exists(), 'a record with nothing left in it is removed'


def test_check_mode_of_an_undo_writes_nothing_and_shows_the_diff(play, tmp_path):
    path = tmp_path / 'config.yaml'
    shutil.copy(KUBELET, path)
    record = tmp_path / 'kubelet.json'
    play('kubetrace.tracing.yaml_edit', {'path': str(path), 'set': TRACING, 'record': str(record)})
    before, kept = snapshot(path), record.read_bytes()
    run = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'restore': True, 'record': str(record)},
               check=True, diff=True)
    assert run.result['changed'] is True and run.executions == 1
    assert '-  endpoint: 10.0.0.5:4317' in run.stdout
    assert snapshot(path) == before and record.read_bytes() == kept


def test_a_created_file_goes_with_the_folders_made_for_it(play, tmp_path):
    path = tmp_path / 'kubelet.conf.d' / 'inner' / '50-kubetrace-tracing.conf'
    record = tmp_path / 'kubelet.json'
    created = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'create': True, 'mode': '0644',
                                                   'set': TRACING, 'record': str(record)})
    assert created.result['changed'] is True and created.result['created'] is True
    assert path.read_text() == 'tracing:\n  endpoint: 10.0.0.5:4317\n  samplingRatePerMillion: 10000\n'
    assert json.loads(record.read_text())['sections'][str(path)]['created_dirs'] == [
        str(tmp_path / 'kubelet.conf.d'), str(tmp_path / 'kubelet.conf.d' / 'inner')]
    back = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'restore': True, 'record': str(record),
                                                'backup': True, 'backup_dir': str(tmp_path / 'backups')})
    assert back.result['changed'] is True
    assert not (tmp_path / 'kubelet.conf.d').exists()
    assert open(back.result['backup_file']).read().startswith('tracing:')
    gone = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'restore': True, 'record': str(record)})
    assert gone.result['changed'] is False


def test_a_folder_that_holds_something_else_stays(play, tmp_path):
    folder = tmp_path / 'tracing'
    path = folder / 'apiserver-tracing.yaml'
    record = tmp_path / 'apiserver.json'
    play('kubetrace.tracing.yaml_edit', {'path': str(path), 'create': True, 'set': {'endpoint': 'a:1'},
                                         'record': str(record)})
    (folder / 'operator.yaml').write_text('mine\n')
    play('kubetrace.tracing.yaml_edit', {'path': str(path), 'restore': True, 'record': str(record)})
    assert sorted(os.listdir(folder)) == ['operator.yaml']


def test_restore_without_record_is_refused(play, tmp_path):
    path = tmp_path / 'config.yaml'
    shutil.copy(KUBELET, path)
    run = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'restore': True})
    assert run.results[0]['status'] == 'failed'
    assert 'restore puts back what a record says; give record' in run.result['msg']


def test_a_record_that_is_not_ours_fails_and_changes_nothing(play, tmp_path):
    path = tmp_path / 'config.yaml'
    shutil.copy(KUBELET, path)
    record = tmp_path / 'kubelet.json'
    record.write_text('{"something": "else"}\n')
    before = snapshot(path)
    run = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'set': TRACING, 'record': str(record)})
    assert run.results[0]['status'] == 'failed'
    assert run.result['msg'] == ('%s: the record %s is not a kubetrace record of format 1; remove it to forget what '
                                 'was recorded, or restore it from its backup' % (path, record))
    assert snapshot(path) == before and record.read_text() == '{"something": "else"}\n'


def test_a_value_changed_by_someone_else_is_left_with_a_warning(play, tmp_path):
    path = tmp_path / 'config.yaml'
    shutil.copy(KUBELET, path)
    record = tmp_path / 'kubelet.json'
    play('kubetrace.tracing.yaml_edit', {'path': str(path), 'set': TRACING, 'record': str(record)})
    path.write_text(path.read_text().replace('samplingRatePerMillion: 10000', 'samplingRatePerMillion: 7'))
    run = play('kubetrace.tracing.yaml_edit', {'path': str(path), 'restore': True, 'record': str(record)})
    assert run.result['kept'] == ['tracing.samplingRatePerMillion']
    assert run.result['warnings'] == ['%s: tracing.samplingRatePerMillion changed since kubetrace wrote it; left as it is now' % path]
    assert 'samplingRatePerMillion: 7' in path.read_text() and 'endpoint' not in path.read_text()
