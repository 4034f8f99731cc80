# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubetrace.tracing.component_restart: restart, check, and on a failed check roll back, restart and say so.

Every role's handler is this one task: the order of the steps and the message a failed host ends with are
the same for the kubelet, containerd, etcd, kube-apiserver and Jaeger; only what "ready" means differs.
"""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.kubetrace.tracing.plugins.module_utils._edit_specs import COMPONENT_RESTART as SPEC


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def _call(self, module, args, task_vars):
        return self._execute_module(module_name=module, module_args=args, task_vars=task_vars)

    def _restart(self, unit, task_vars):
        """None when the unit restarted, else what systemd said."""
        done = self._call('ansible.builtin.systemd_service',
                          {'name': unit, 'state': 'restarted', 'daemon_reload': True}, task_vars)
        if not done.get('failed'):
            return None
        return done.get('msg') or 'systemd could not restart %s' % unit

    def _ready(self, name, ready, task_vars):
        return self._call('kubetrace.tracing.component_ready', dict(ready, name=name, fail=False), task_vars)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        _validation, params = self.validate_argument_spec(argument_spec=SPEC)
        if self._task.check_mode:
            return dict(result, changed=False, msg='check mode: %s is not restarted' % params['name'])
        host = task_vars.get('inventory_hostname', 'this host')
        name = '%s on %s' % (params['name'], host)
        timeout = params['ready'].get('timeout', 0)
        problem = self._restart(params['unit'], task_vars) if params['unit'] else None
        if problem is None:
            ready = self._ready(name, params['ready'], task_vars)
            if ready.get('failed'):
                raise AnsibleActionFail('%s: could not check it: %s' % (name, ready.get('msg')))
            if ready.get('ready'):
                return dict(result, changed=True, ready=True, elapsed=ready.get('elapsed'), msg=ready.get('msg'))
            problem = ready.get('msg')
        rollback = self._call('kubetrace.tracing.file_rollback', {'edits': params['edits']}, task_vars)
        restored = rollback.get('restored', [])
        if params['unit']:
            again = self._restart(params['unit'], task_vars)
            problem = problem if again is None else '%s; restarting it with the previous settings failed too: %s' % (
                problem, again)
        back = self._ready(name, params['restored_ready'] or params['ready'], task_vars)
        said = ('it answers again' if back.get('ready') else
                'it STILL DOES NOT ANSWER%s' % (': look at ' + params['log_hint'] if params['log_hint'] else ''))
        what = '; '.join(restored) if restored else 'no file of this run needed putting back'
        if rollback.get('failed'):
            what = rollback.get('msg')
        return dict(result, failed=True, changed=True, ready=False, rolled_back=restored, msg=(
            '%s did not come back within %s s after the tracing change, so it was rolled back: %s%s (%s). '
            'The failed step said: %s' % (name, timeout, what, ', and %s restarted' % params['unit']
                                          if params['unit'] else '', said, problem)))
