# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the controller side shared by every edit module.

Read the file with one call of the module on the node, compute the new text
here (where the parsing libraries are), and write it back with at most one
more call. Check mode and ``--diff`` come from the computed text; nothing is
written unless the content or the file's attributes change.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

from ansible.errors import AnsibleActionFail
from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
from ansible.plugins.action import ActionBase

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError

_LIBRARIES = 'install the controller requirements: pip install -r requirements.txt (or build the ' \
             'execution environment from execution-environment.yml)'


def plain_data(value):
    """``value`` with Ansible's tagged and templated types turned into plain Python data.

    The emitters of ruamel.yaml and tomlkit only know the builtin types.
    """
    if isinstance(value, Mapping):
        return {plain_data(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


class FileEditAction(ActionBase):
    """Subclasses name their module and spec and implement ``new_text``."""

    TRANSFERS_FILES = False
    MODULE = ''
    ARGUMENT_SPEC: dict = {}
    LIBRARY_NAME = ''
    LIBRARY_PRESENT = True

    def new_text(self, text: str, params: dict) -> str:
        raise NotImplementedError

    def check_params(self, params: dict) -> None:
        """Controller-side checks beyond the argument spec; raise AnsibleActionFail."""

    def _node(self, task_vars, params: dict, **phase) -> dict:
        args = {name: value for name, value in params.items() if value is not None}
        args.update(('_kubetrace_' + name, value) for name, value in phase.items())
        return self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        spec = dict(self.ARGUMENT_SPEC, **FILE_COMMON_ARGUMENTS)
        _validation, params = self.validate_argument_spec(argument_spec=spec)
        params = plain_data(params)
        path = params['path']
        if not self.LIBRARY_PRESENT:
            raise AnsibleActionFail('%s needs the Python library %s on the controller; %s'
                                    % (self.MODULE, self.LIBRARY_NAME, _LIBRARIES))
        if params['validate'] and '%s' not in params['validate']:
            raise AnsibleActionFail('%s: validate must contain %%s where the candidate file goes, '
                                    'e.g. "kubeadm config validate --config %%s"' % path)
        self.check_params(params)

        read = self._node(task_vars, params, phase='read')
        if read.get('failed'):
            return dict(read, changed=False)
        if read['exists']:
            raw = base64.b64decode(read['content'])
            try:
                original = raw.decode('utf-8')
            except UnicodeDecodeError as exc:
                raise AnsibleActionFail('%s: not UTF-8 text (byte %d); only text files can be edited'
                                        % (path, exc.start)) from None
        elif params.get('create'):
            raw, original = None, ''
        else:
            raise AnsibleActionFail('%s: file does not exist; set create: true to create it, or fix path'
                                    % path)
        try:
            text = self.new_text(original, params)
        except EditError as exc:
            raise AnsibleActionFail('%s: %s' % (path, exc)) from None

        content_changed = text != original or not read['exists']
        result.update(changed=content_changed or read.get('attributes_differ', False), path=path)
        if content_changed and self._task.diff:
            result['diff'] = dict(before_header=path, after_header=path,
                                  before=original, after=text)
        if not result['changed'] or self._task.check_mode:
            return result
        phase = dict(phase='write')
        if content_changed:
            phase.update(content=base64.b64encode(text.encode('utf-8')).decode('ascii'),
                         original_sha256=hashlib.sha256(raw).hexdigest() if raw is not None else None)
        written = self._node(task_vars, params, **phase)
        if written.get('failed'):
            return dict(written, changed=False)
        result['changed'] = written.get('changed', True)
        if 'backup_file' in written:
            result['backup_file'] = written['backup_file']
        return result
