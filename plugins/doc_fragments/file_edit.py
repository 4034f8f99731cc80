# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options and contract shared by yaml_edit, toml_edit and static_pod."""

    DOCUMENTATION = r'''
options:
  path:
    description:
      - The file to edit, on the managed node.
    type: path
    required: true
    aliases: [dest]
  backup:
    description:
      - Keep a copy of the file as it was before the change in O(backup_dir), under the file's
        absolute path with a timestamp appended. The result names it in RV(backup_file).
      - Backups are never written beside the file, so a backup of a static pod manifest is not
        run by the kubelet as a second pod.
    type: bool
    default: false
  backup_dir:
    description:
      - Folder on the node that holds backups; created with mode 0700 when missing.
    type: path
    default: /var/lib/kubetrace/backups
  validate:
    description:
      - Command run on the candidate file before it replaces O(path); C(%s) stands for the candidate.
      - When it exits non-zero the file is left as it was and the task fails with its output.
      - The command runs without a shell.
    type: str
  record:
    description:
      - A JSON file on the node (one per component, such as C(/var/lib/kubetrace/state/kubelet.json)) in which
        the edit notes, before its first change, what each thing it changes held (or that it was absent), and
        what it wrote; also whether it created the file, its folders, and the mappings or tables it added.
      - A later change of the same thing keeps the first value, so the record always says what was there
        before this collection touched it.
      - With O(restore=true), the record says what to put back.
    type: path
  restore:
    description:
      - Put back what O(record) says this file held, then forget it. A value that is still what was
        written gets its previous value again (or is taken out when it was absent); a value someone changed
        since is left as it is, with a warning naming it; mappings and tables the edits added are removed
        when nothing else is left in them; a file the edits created is removed, with the folders made for it
        when they are empty. A file that was there before is never removed.
      - What the task itself asks (its changes) is applied on top, so a task can take out something the
        record would put back.
    type: bool
    default: false
notes:
  - The parsing libraries run on the controller; the node needs nothing but Python 3.
  - When nothing changes the module runs once on the node (a read); a change adds one write.
  - The file is rewritten through a hidden temporary file in its own folder and an atomic rename;
    its mode, owner and group are kept unless O(mode), O(owner) or O(group) say otherwise.
  - If the file changes on the node between the read and the write, nothing is written and the task fails.
  - A file that does not parse, a key that cannot take the value, and every other error leave the file
    byte for byte as it was.
'''

    INTERNAL = r'''
options:
  _kubetrace_phase:
    description:
      - Internal, set by the action plugin that runs this module; never set it in a task.
    type: str
    choices: [read, write]
  _kubetrace_content:
    description:
      - Internal, set by the action plugin; the new content, base64-encoded.
    type: str
  _kubetrace_original_sha256:
    description:
      - Internal, set by the action plugin; the digest of the content it read, to detect a concurrent writer.
    type: str
  _kubetrace_delete:
    description:
      - Internal, set by the action plugin; remove the file (a restore of a file the edits created).
    type: bool
    default: false
  _kubetrace_make_dirs:
    description:
      - Internal, set by the action plugin; folders to create before the file, outermost first.
    type: list
    elements: path
    default: []
  _kubetrace_remove_dirs:
    description:
      - Internal, set by the action plugin; folders to remove after the file, when empty, innermost first.
    type: list
    elements: path
    default: []
  _kubetrace_record_content:
    description:
      - Internal, set by the action plugin; the record's new text, base64-encoded (empty removes it).
    type: str
  _kubetrace_record_original_sha256:
    description:
      - Internal, set by the action plugin; the digest of the record it read.
    type: str
  _kubetrace_record_first:
    description:
      - Internal, set by the action plugin; write the record before the file (a change) or after it (an undo).
    type: bool
    default: true
  _kubetrace_also_read:
    description:
      - Internal, set by the action plugin; other files the edit depends on (a unit and its drop-ins), read with the file.
    type: list
    elements: path
    default: []
  _kubetrace_resource_version:
    description:
      - Internal; unused by the file edits.
    type: str
'''
