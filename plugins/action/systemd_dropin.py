# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kubetrace.tracing.systemd_dropin: the drop-in's text, from the unit's own files."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils import _edit_specs, _record, _unit_file
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._edit_action import FileEditAction, Outcome


class ActionModule(FileEditAction):
    MODULE = 'kubetrace.tracing.systemd_dropin'
    ARGUMENT_SPEC = _edit_specs.SYSTEMD_DROPIN
    ALWAYS_CREATE = True

    def check_params(self, params):
        if params.get('mode') is None:
            params['mode'] = '0644'             # as systemd's own drop-ins are

    def _node(self, task_vars, params, **phase):
        if phase.get('phase') == 'read':
            phase['also_read'] = [path for path in params['unit_files'] if path != params['path']]
        return super()._node(task_vars, params, **phase)

    def text(self, params, also):
        argv = None
        if params['exec_start_flags'] or params['feature_gates']:
            files = [(path, also.get(path)) for path in params['unit_files'] if path != params['path']]
            argv = _unit_file.with_flags(_unit_file.effective_exec_start(files), params['exec_start_flags'])
            argv = _unit_file.with_feature_gates(argv, params['feature_gates'], 'ExecStart of ' + params['unit_files'][0])
        return _unit_file.dropin_text(params['comment'], argv, params['environment'], params['unset_environment'])

    def _present(self, target, original, exists, params, record, missing_dirs):
        text = self.text(params, self._read.get('also') or {})
        if record is not None:
            if not exists or _unit_file.written_by_us(original):
                if target not in record['sections']:
                    _record.remember(record, target, {}, {}, created_file=True,
                                     created_dirs=missing_dirs if not exists else [])
            else:                                   # somebody else's file at this path: keep what it said
                _record.remember(record, target, {'content': original}, {'content': text})
        return Outcome(text, make_dirs=missing_dirs if not exists else [])

    def _restore(self, target, original, exists, params, record):
        part = record['sections'].get(target)
        _record.forget(record, target)
        if not exists:
            return Outcome(original)
        if part is None or part['created_file']:
            if part is None and not _unit_file.written_by_us(original):
                return Outcome(original)            # not ours, and nothing recorded: never removed
            return Outcome(None, remove_dirs=reversed(part['created_dirs']) if part else (),
                           restored=['(the drop-in kubetrace created)'])
        values, kept = _record.plan_restore(part, {'content': original})
        return Outcome(values.get('content', original), restored=sorted(values), kept=kept)
