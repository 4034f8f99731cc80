# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the controller side shared by every edit module.

Read the file with one call of the module on the node, compute the new text
here (where the parsing libraries are), and write it back with at most one
more call. Check mode and ``--diff`` come from the computed text; nothing is
written unless the content or the file's attributes change.

With ``record``, an edit notes in the component's record on the node what each
subject it changes held before (module_utils/_record.py); with ``restore`` it
puts back what the record says, and forgets it.
"""

from __future__ import annotations

import base64
import hashlib
from ansible.errors import AnsibleActionFail
from ansible.module_utils.basic import FILE_COMMON_ARGUMENTS
from ansible.plugins.action import ActionBase

from ansible_collections.kubetrace.tracing.plugins.module_utils import _keypath, _record, _tree
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import plain_data
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError

_LIBRARIES = 'install the controller requirements: pip install -r requirements.txt (or build the ' \
             'execution environment from execution-environment.yml)'


def _b64(text: str) -> str:
    return base64.b64encode(text.encode('utf-8')).decode('ascii')


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Outcome:
    """What one edit decided: the new text (None: delete the file), folders, record, notes."""

    def __init__(self, text, make_dirs=(), remove_dirs=(), restored=(), kept=()):
        self.text = text
        self.make_dirs = list(make_dirs)
        self.remove_dirs = list(remove_dirs)
        self.restored = list(restored)
        self.kept = list(kept)


class FileEditAction(ActionBase):
    """Subclasses name their module, spec and engine (_yaml_doc or _toml_doc) and implement ``apply``;
    those that record implement ``subjects``, ``observe`` and ``apply_restore`` too."""

    TRANSFERS_FILES = False
    MODULE = ''
    ARGUMENT_SPEC: dict = {}
    LIBRARY_NAME = ''
    LIBRARY_PRESENT = True
    ENGINE = None
    ALWAYS_CREATE = False          # a file the module itself makes whole (a drop-in), not one it edits
    FILE_ARGUMENTS = True          # mode, owner, group...: not for a target that is no file

    def target(self, params: dict) -> str:
        """What is edited, as messages, diffs and the record name it."""
        return params['path']

    def write_arguments(self, read: dict) -> dict:
        """More arguments for the write call, from what the read call returned."""
        return {}

    def missing(self, params: dict, read: dict):
        """The result when the target does not exist and the task cannot create it; None to go on."""
        raise AnsibleActionFail('%s: file does not exist; set create: true to create it, or fix path'
                                % self.target(params))

    # ------------------------------------------------------------------ what a subclass provides

    def check_params(self, params: dict) -> None:
        """Controller-side checks beyond the argument spec; raise AnsibleActionFail."""

    def apply(self, doc, params: dict, dry_run: bool) -> bool:
        """Make the change the task asks for; True when it changes anything."""
        raise NotImplementedError

    def subjects(self, params: dict) -> list:
        """Names of what the task changes (key paths, flags, ...), as the record keys them."""
        raise NotImplementedError

    def observe(self, doc, subjects, params: dict) -> dict:
        """{subject: its current value as plain data, or _record.ABSENT}."""
        raise NotImplementedError

    def created_containers(self, doc, params: dict) -> list:
        """Key paths of the mappings or tables the change will create (removed again when left empty)."""
        return []

    def apply_restore(self, doc, values: dict, params: dict, dry_run: bool) -> bool:
        """Put each subject of ``values`` back to its value (ABSENT: take it out)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the edit, on the controller

    def _edit_text(self, text: str, change) -> str:
        return self.ENGINE.edit(text, change)

    def _present(self, target, original, exists, params, record, missing_dirs) -> Outcome:
        notes = {}
        subjects = self.subjects(params) if record is not None else []

        def change(doc, dry_run):
            if 'before' not in notes and record is not None:
                notes['before'] = self.observe(doc, subjects, params)
                notes['created'] = self.created_containers(doc, params)
            changed = self.apply(doc, params, dry_run)
            if not dry_run and record is not None:
                notes['after'] = self.observe(doc, subjects, params)
            return changed

        text = self._edit_text(original, change)
        make_dirs = missing_dirs if not exists else []
        if record is not None:
            if not exists:      # whatever was recorded about a file that is gone no longer holds
                _record.forget(record, target)
            before = notes.get('before', {})
            _record.remember(record, target, before, notes.get('after', before), notes.get('created', ()),
                             created_file=not exists, created_dirs=make_dirs)
        return Outcome(text, make_dirs=make_dirs)

    def _restore(self, target, original, exists, params, record) -> Outcome:
        part = record['sections'].get(target)
        _record.forget(record, target)
        if part is not None and part['created_file']:
            return Outcome(None if exists else original, remove_dirs=reversed(part['created_dirs']),
                           restored=['(the file kubetrace created)'] if exists else [])
        if not exists:
            return Outcome(original)
        notes = {'restored': [], 'kept': []}

        def change(doc, dry_run):
            changed = False
            if part is not None:
                values, kept = _record.plan_restore(part, self.observe(doc, list(part['entries']), params))
                notes.update(restored=sorted(values), kept=kept)
                changed |= self.apply_restore(doc, values, params, dry_run)
            changed |= self.apply(doc, params, dry_run)      # what the task itself asks, on top
            if part is not None:
                changed |= remove_empty(doc, part['created'], self.ENGINE.STYLE, dry_run)
            return changed

        text = self._edit_text(original, change)
        return Outcome(text, restored=notes['restored'], kept=notes['kept'])

    # ------------------------------------------------------------------ the node calls

    def _node(self, task_vars, params: dict, **phase) -> dict:
        args = {name: value for name, value in params.items() if value is not None}
        args.update(('_kubetrace_' + name, value) for name, value in phase.items())
        return self._execute_module(module_name=self.MODULE, module_args=args, task_vars=task_vars)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        spec = dict(self.ARGUMENT_SPEC, **FILE_COMMON_ARGUMENTS) if self.FILE_ARGUMENTS else self.ARGUMENT_SPEC
        _validation, params = self.validate_argument_spec(argument_spec=spec)
        params = plain_data(params)
        path = self.target(params)
        if not self.LIBRARY_PRESENT:
            raise AnsibleActionFail('%s needs the Python library %s on the controller; %s'
                                    % (self.MODULE, self.LIBRARY_NAME, _LIBRARIES))
        if params.get('validate') and '%s' not in params['validate']:
            raise AnsibleActionFail('%s: validate must contain %%s where the candidate file goes, '
                                    'e.g. "kubeadm config validate --config %%s"' % path)
        if params.get('restore') and not params.get('record'):
            raise AnsibleActionFail('%s: restore puts back what a record says; give record, the record file '
                                    'the edits that changed this file were given' % path)
        self.check_params(params)

        read = self._read = self._node(task_vars, params, phase='read')
        if read.get('failed'):
            return dict(read, changed=False)
        if read['exists']:
            raw = base64.b64decode(read['content'])
            try:
                original = raw.decode('utf-8')
            except UnicodeDecodeError as exc:
                raise AnsibleActionFail('%s: not UTF-8 text (byte %d); only text files can be edited'
                                        % (path, exc.start)) from None
        elif params.get('create') or params.get('restore') or self.ALWAYS_CREATE:
            raw, original = None, ''
        else:
            stop = self.missing(params, read)
            if stop is not None:
                return dict(result, **stop)
            raw, original = None, ''
        record_text = base64.b64decode(read['record_content']).decode('utf-8') if read.get('record_content') else ''
        try:
            record = _record.load(record_text, params['record']) if params.get('record') else None
            if params.get('restore'):
                outcome = self._restore(path, original, read['exists'], params, record)
            else:
                outcome = self._present(path, original, read['exists'], params, record, read.get('missing_dirs', []))
        except EditError as exc:
            raise AnsibleActionFail('%s: %s' % (path, exc)) from None
        return self._finish(result, task_vars, params, read, raw, original, outcome, record, record_text)

    def _finish(self, result, task_vars, params, read, raw, original, outcome, record, record_text):
        path = self.target(params)
        deleting = outcome.text is None
        content_changed = deleting or outcome.text != original or (not read['exists'] and not params.get('restore'))
        new_record = _record.dump(record) if record is not None else record_text
        result.update(changed=content_changed or read.get('attributes_differ', False) and not deleting, path=path)
        if not deleting:
            result['sha256'] = _sha256(outcome.text.encode('utf-8'))
        if params.get('restore'):
            result.update(restored=outcome.restored, kept=outcome.kept)
            if outcome.kept:
                result['warnings'] = ['%s: %s changed since kubetrace wrote it; left as it is now'
                                      % (path, ', '.join(outcome.kept))]
        if read['exists'] is False and not params.get('restore'):
            result['created'] = True
        if content_changed and self._task.diff:
            result['diff'] = dict(before_header=path, after_header=path,
                                  before=original if read['exists'] else '', after='' if deleting else outcome.text)
        record_changed = new_record != record_text
        if (not result['changed'] and not record_changed) or self._task.check_mode:
            return result
        phase = dict(self.write_arguments(read), phase='write')
        if deleting:
            phase.update(delete=True, original_sha256=_sha256(raw), remove_dirs=outcome.remove_dirs)
        elif content_changed:
            phase.update(content=_b64(outcome.text), make_dirs=outcome.make_dirs,
                         original_sha256=_sha256(raw) if raw is not None else None)
        if record_changed:
            # a change is recorded before it is made, an undo forgotten after it is done: a failure in
            # between leaves a record that still says what was there
            phase.update(record_content=_b64(new_record), record_original_sha256=read.get('record_sha256'),
                         record_first=not params.get('restore'))
        written = self._node(task_vars, params, **phase)
        if written.get('failed'):
            return dict(written, changed=False)
        result['changed'] = written.get('changed', True) and result['changed']
        if 'backup_file' in written:
            result['backup_file'] = written['backup_file']
        return result


def _holds_nothing(value) -> bool:
    """A mapping or list with nothing in it but empty mappings and lists."""
    if _tree.is_mapping(value):
        return all(_holds_nothing(item) for item in value.values())
    if _tree.is_list(value):
        return all(_holds_nothing(item) for item in value)
    return False


def remove_empty(doc, containers, style, dry_run: bool) -> bool:
    """Take out each of ``containers`` (key paths of what the edits created) that holds nothing now but empty
    mappings or lists, deepest first: the edits created those too (a TOML super table and its empty tables)."""
    changed = False
    for path in sorted(containers, key=len, reverse=True):
        segments = _keypath.parse(path)
        value = _tree.get_value(doc, segments, style, default=None)
        if (_tree.is_mapping(value) or _tree.is_list(value)) and _holds_nothing(value):
            changed |= _tree.unset_value(doc, segments, style, dry_run)
    return changed


class TreeEditAction(FileEditAction):
    """yaml_edit and toml_edit: ``set`` and ``unset`` key paths, recorded per key path."""

    ARGUMENT_SPEC = None

    def apply(self, doc, params, dry_run):
        compiled = _tree.compile_paths(params['set'], params['unset'])
        return _tree.apply_paths(doc, compiled, self.ENGINE.STYLE, dry_run)

    def subjects(self, params):
        _tree.compile_paths(params['set'], params['unset'])          # refuses a path in both
        return list(params['set']) + [path for path in params['unset'] if path not in params['set']]

    def observe(self, doc, subjects, params):
        style = self.ENGINE.STYLE
        return {path: plain_data(_tree.get_value(doc, _keypath.parse(path), style, default=_record.ABSENT))
                for path in subjects}

    def created_containers(self, doc, params):
        style, created = self.ENGINE.STYLE, []
        for path in params['set']:
            segments = _keypath.parse(path)
            for depth in range(1, len(segments)):
                if not isinstance(segments[depth - 1], _keypath.Key):
                    break
                if _tree.get_value(doc, segments[:depth], style, default=_record.ABSENT) is _record.ABSENT:
                    prefix = _keypath.render(segments[:depth])
                    if prefix not in created:
                        created.append(prefix)
                    break
        return created

    def apply_restore(self, doc, values, params, dry_run):
        compiled = _tree.compile_paths({path: value for path, value in values.items() if value is not _record.ABSENT},
                                       [path for path, value in values.items() if value is _record.ABSENT])
        return _tree.apply_paths(doc, compiled, self.ENGINE.STYLE, dry_run)
