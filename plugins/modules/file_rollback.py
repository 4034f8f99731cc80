#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: file_rollback
short_description: Put back the files a run changed, from the backups its edits kept
version_added: 0.2.0
description:
  - Takes the registered results of the tasks that changed a component's files in this run (the edit modules, or
    M(ansible.builtin.template) and M(ansible.builtin.copy), each with C(backup=true)) and undoes each - a file that
    has a backup gets it back (mode, owner and group too), a file the run created is removed.
  - The roles call it when a component does not come back healthy after its restart; then they restart it again.
  - A result that changed nothing, or that names no file (a ConfigMap), is left alone; a changed file without a backup
    (a task run without C(backup=true)) stays as it is, and the result says so.
  - Standard library only on the node.
options:
  edits:
    description: Registered results, in the order the tasks ran (undone in reverse).
    type: list
    elements: dict
    required: true
attributes:
  check_mode:
    support: full
    details: In check mode nothing is put back; the result says what would be.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Put the previous manifest and TracingConfiguration back
  kubetrace.tracing.file_rollback:
    edits:
      - "{{ __apiserver_tracing_config_file }}"
      - "{{ __apiserver_tracing_manifest }}"
  register: rolled_back
'''

RETURN = r'''
restored:
  description: What was put back, in words, one line per file.
  returned: always
  type: list
  elements: str
  sample:
    - /etc/kubernetes/manifests/kube-apiserver.yaml restored from
      /var/lib/kubetrace/backups/etc/kubernetes/manifests/kube-apiserver.yaml.20261201T120000.000000Z
'''

import os
import shutil

from ansible.module_utils.basic import AnsibleModule


def _path(edit):
    return edit.get('path') or edit.get('dest')


def undo(edit, check_mode):
    """Put one file back; returns what was done, in words (None: nothing to do)."""
    path = _path(edit)
    if not edit.get('changed') or not path or not str(path).startswith('/'):
        return None
    backup = edit.get('backup_file')
    if backup:
        if not check_mode:
            info = os.stat(backup)
            shutil.copy2(backup, path + '.kubetrace-rollback')
            os.chown(path + '.kubetrace-rollback', info.st_uid, info.st_gid)
            os.replace(path + '.kubetrace-rollback', path)
        return '%s restored from %s' % (path, backup)
    if edit.get('created'):
        if not check_mode and os.path.lexists(path):
            os.unlink(path)
        return '%s removed (this run had created it)' % path
    return '%s was changed but has no backup; it stays as it is now' % path


def main():
    module = AnsibleModule(argument_spec=dict(edits=dict(type='list', elements='dict', required=True)),
                           supports_check_mode=True)
    restored = []
    try:
        for edit in reversed(module.params['edits']):
            said = undo(edit, module.check_mode)
            if said:
                restored.append(said)
    except OSError as exc:
        module.fail_json(msg='could not put a file back: %s (done so far: %s)' % (exc, '; '.join(restored) or 'nothing'),
                         restored=restored)
    module.exit_json(changed=bool(restored) and not module.check_mode, restored=list(reversed(restored)))


if __name__ == '__main__':
    main()
