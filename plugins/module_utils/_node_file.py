# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the node side of every edit module, standard library only.

The action plugin calls the module twice at most: ``read`` returns the file,
whether its attributes differ from the task's, the folders missing above it and
the component's record; ``write`` checks that the file is still what was read,
writes the candidate to a hidden temporary file beside it (kubelets skip
dotfiles in the manifests folder), runs ``validate`` on it, keeps a backup in
``backup_dir``, and moves it into place atomically with the old file's mode,
owner and group (or removes a file the edits had created), and writes the record.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import os
import shutil
import stat
import tempfile
import time

from ansible.module_utils.common.text.converters import to_native


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _denied(module, path: str, action: str, exc: OSError):
    module.fail_json(msg='%s: permission denied %s (%s); run the task with become: true'
                     % (path, action, to_native(exc.strerror)), path=path)


def read_file(module, path: str) -> dict:
    """The file's bytes (base64), digest and attributes; ``exists: false`` when missing."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return dict(exists=False)
    except PermissionError as exc:
        _denied(module, path, 'looking it up', exc)
    if not stat.S_ISREG(info.st_mode):
        module.fail_json(msg='%s: not a regular file; point path at the file to edit' % path, path=path)
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except PermissionError as exc:
        _denied(module, path, 'reading it', exc)
    file_args = module.load_file_common_arguments(module.params, path=path)
    check_mode = module.check_mode
    module.check_mode = True  # only ask whether the attributes would change
    try:
        attributes_differ = module.set_fs_attributes_if_different(file_args, False)
    finally:
        module.check_mode = check_mode
    return dict(exists=True, content=base64.b64encode(data).decode('ascii'), sha256=_sha256(data),
                mode='%04o' % stat.S_IMODE(info.st_mode), uid=info.st_uid, gid=info.st_gid,
                attributes_differ=attributes_differ)


def read_text(path: str):
    """Another file the edit depends on (a unit and its drop-ins), as text; None when it cannot be read."""
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return handle.read()
    except OSError:
        return None


def missing_dirs(path: str) -> list:
    """The folders above ``path`` that do not exist, outermost first."""
    missing = []
    folder = os.path.dirname(os.path.abspath(path))
    while folder != '/' and not os.path.isdir(folder):
        missing.insert(0, folder)
        folder = os.path.dirname(folder)
    return missing


def read_record(module, path: str) -> dict:
    """The record file's text (base64) and digest; nothing when there is none yet."""
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}
    except PermissionError as exc:
        _denied(module, path, 'reading the record', exc)
    return dict(record_content=base64.b64encode(data).decode('ascii'), record_sha256=_sha256(data))


def backup_path(path: str, backup_dir: str) -> str:
    """Where the backup of ``path`` goes: its absolute path mirrored under ``backup_dir``, stamped."""
    stamp = time.strftime('%Y%m%dT%H%M%S', time.gmtime()) + '.%06dZ' % (time.time() % 1 * 1e6)
    return os.path.join(backup_dir, os.path.abspath(path).lstrip('/')) + '.' + stamp


def _backup(module, path: str, backup_dir: str) -> str:
    target = backup_path(path, backup_dir)
    if os.path.dirname(os.path.realpath(target)) == os.path.dirname(os.path.realpath(path)):
        module.fail_json(msg='%s: backup_dir %s would put the backup beside the file; choose a folder '
                         'elsewhere (the default is /var/lib/kubetrace/backups)' % (path, backup_dir))
    try:
        os.makedirs(backup_dir, mode=0o700, exist_ok=True)
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        shutil.copy2(path, target)
        info = os.stat(path)
        os.chown(target, info.st_uid, info.st_gid)
    except PermissionError as exc:
        _denied(module, backup_dir, 'writing the backup', exc)
    except OSError as exc:
        module.fail_json(msg='%s: could not write its backup to %s: %s; nothing was changed'
                         % (path, target, to_native(exc)))
    return target


def _candidate(module, path: str, data: bytes) -> str:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        module.fail_json(msg='%s: folder %s does not exist; create it first' % (path, folder))
    try:
        handle, candidate = tempfile.mkstemp(prefix='.kubetrace.', suffix='.tmp', dir=folder)
    except PermissionError as exc:
        _denied(module, folder, 'writing in it', exc)
    with os.fdopen(handle, 'wb') as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    if os.path.exists(path):
        info = os.stat(path)
        os.chmod(candidate, stat.S_IMODE(info.st_mode))
        os.chown(candidate, info.st_uid, info.st_gid)
    return candidate


def _validate(module, path: str, candidate: str, command: str) -> None:
    rc, out, err = module.run_command(command % candidate)
    if rc != 0:
        module.fail_json(msg='%s: validate (%s) refused the new content, rc=%d: %s; the file was not '
                         'changed' % (path, command, rc, (err or out).strip()),
                         rc=rc, stdout=out, stderr=err)


def _current_sha256(module, path: str):
    try:
        with open(path, 'rb') as handle:
            return _sha256(handle.read())
    except FileNotFoundError:
        return None
    except PermissionError as exc:
        _denied(module, path, 'reading it', exc)


def write_record(module, path: str) -> None:
    """Replace the record file with the new text (an empty text removes it), if nobody changed it since."""
    params = module.params
    if _current_sha256(module, path) != params['_kubetrace_record_original_sha256']:
        module.fail_json(msg='%s: the record changed on the node while this task ran (another run?); '
                         'nothing was written, run the task again' % path)
    data = base64.b64decode(params['_kubetrace_record_content'])
    try:
        if not data:
            os.unlink(path)
            return
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        handle, candidate = tempfile.mkstemp(prefix='.kubetrace.', suffix='.tmp', dir=os.path.dirname(path))
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(candidate, 0o600)
        os.replace(candidate, path)
    except FileNotFoundError:
        pass
    except PermissionError as exc:
        _denied(module, path, 'writing the record', exc)


def _make_dirs(module, folders) -> None:
    for folder in folders or []:
        try:
            os.mkdir(folder, 0o755)
        except FileExistsError:
            pass
        except PermissionError as exc:
            _denied(module, folder, 'creating it', exc)


def _remove_dirs(folders) -> None:
    """Remove each folder the edit had made, innermost first, where nothing else is in it now."""
    for folder in folders or []:
        try:
            os.rmdir(folder)
        except OSError as exc:
            if exc.errno not in (errno.ENOENT, errno.ENOTEMPTY, errno.EEXIST):
                raise


def write_file(module, path: str) -> dict:
    """Replace ``path`` with the candidate content, remove it, or only fix its attributes; then the record."""
    params = module.params
    content = params['_kubetrace_content']
    record = params.get('record')
    result = dict(changed=False)
    if record and params.get('_kubetrace_record_content') is not None and params.get('_kubetrace_record_first'):
        write_record(module, record)
    if content is not None or params.get('_kubetrace_delete'):
        current = _current_sha256(module, path)
        if current != params['_kubetrace_original_sha256']:
            module.fail_json(msg='%s: changed on the node while this task ran (another writer?); '
                             'nothing was written, run the task again' % path)
        if params.get('_kubetrace_delete'):
            if params['backup']:
                result['backup_file'] = _backup(module, path, params['backup_dir'])
            os.unlink(path)
            _remove_dirs(params.get('_kubetrace_remove_dirs'))
            result['changed'] = True
        else:
            _make_dirs(module, params.get('_kubetrace_make_dirs'))
            candidate = _candidate(module, path, base64.b64decode(content))
            try:
                if params.get('validate'):
                    _validate(module, path, candidate, params['validate'])
                if params['backup'] and current is not None:
                    result['backup_file'] = _backup(module, path, params['backup_dir'])
                module.atomic_move(candidate, path, unsafe_writes=params.get('unsafe_writes', False))
            finally:
                try:
                    os.unlink(candidate)
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        raise
            result['changed'] = True
    if record and params.get('_kubetrace_record_content') is not None and not params.get('_kubetrace_record_first'):
        write_record(module, record)
    if not params.get('_kubetrace_delete') and os.path.exists(path):
        file_args = module.load_file_common_arguments(params, path=path)
        result['changed'] = module.set_fs_attributes_if_different(file_args, result['changed'])
    return result


def run(module) -> None:
    """The module's main: one phase per call, as its action plugin asks."""
    phase = module.params['_kubetrace_phase']
    path = module.params['path']
    if phase == 'read':
        found = read_file(module, path)
        if not found['exists']:
            found['missing_dirs'] = missing_dirs(path)
        if module.params.get('record'):
            found.update(read_record(module, module.params['record']))
        also = module.params.get('_kubetrace_also_read') or []
        if also:
            found['also'] = {other: read_text(other) for other in also}
        module.exit_json(changed=False, path=path, **found)
    if phase == 'write':
        module.exit_json(path=path, **write_file(module, path))
    module.fail_json(msg='this module runs through its action plugin; call it as a task in a play '
                     '(not with ansible -m ... -a on a collection-less path)')
