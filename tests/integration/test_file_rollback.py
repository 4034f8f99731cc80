"""file_rollback on a stdlib-only node: backups come back with their attributes, created files go."""

from __future__ import annotations

import os
import shutil

from testpaths import FIXTURES

KUBELET = FIXTURES / 'kubeadm' / 'v1.37.2' / 'kubelet-config.yaml'


def test_a_run_is_undone_from_its_own_results(play, tmp_path):
    config = tmp_path / 'config.yaml'
    shutil.copy(KUBELET, config)
    config.chmod(0o640)
    os.chown(config, 1234, 2345)
    dropin = tmp_path / 'conf.d' / '50-kubetrace-tracing.conf'
    backups = str(tmp_path / 'backups')
    edit = {'path': str(config), 'set': {'tracing.endpoint': 'a:1'}, 'backup': True, 'backup_dir': backups}
    create = {'path': str(dropin), 'create': True, 'set': {'tracing.endpoint': 'a:1'}, 'backup': True,
              'backup_dir': backups}
    run = play('kubetrace.tracing.yaml_edit', edit, register='first', extra_tasks=[
        {'name': 'second', 'kubetrace.tracing.yaml_edit': create, 'register': 'second'},
        {'name': 'unchanged', 'kubetrace.tracing.yaml_edit': dict(edit), 'register': 'third'},
        {'name': 'undo', 'kubetrace.tracing.file_rollback': {
            'edits': '{{ [first, second, third, {"changed": true, "path": "configmap kube-system/kubelet-config kubelet"}] }}'}}])
    assert run.rc == 0, run.stdout[-3000:]
    undo = run.results[-1]['result']
    assert undo['restored'] == ['%s restored from %s' % (config, run.result['backup_file']),
                                '%s removed (this run had created it)' % dropin]
    assert config.read_bytes() == KUBELET.read_bytes()
    info = os.stat(config)
    assert (oct(info.st_mode & 0o777), info.st_uid, info.st_gid) == ('0o640', 1234, 2345)
    assert not dropin.exists()
