#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: explain_audit
short_description: Read what the audit log says about one namespace's workloads, for explain
version_added: 0.3.0
description:
  - Runs on a control-plane host and reads kube-apiserver's JSON audit log at O(path) and its rotated files beside it
    (C(audit-<time>.log), newer than O(since)), keeping the ResponseComplete entries of creates, updates, patches
    and deletes of workloads and pods in O(namespace), their bindings and their status patches.
  - Returns them compact (who, what, when to the microsecond, the new object's uid and owners, the bound node,
    whether a status patch made the pod Ready), so that little crosses the wire even from a busy cluster's log.
  - A missing log is not an error; RV(found) says so and the playbook names the missing source.
  - Changes nothing, so it runs in check mode too. Standard library only.
options:
  path:
    description: The audit log, as C(--audit-log-path) names it.
    type: path
    required: true
  namespace:
    description: The namespace whose objects are explained.
    type: str
    required: true
  since:
    description: Ignore entries received before this time (RFC 3339).
    type: str
    required: true
attributes:
  check_mode:
    support: full
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
- name: Read what the audit log says about the namespace since the command ran
  kubetrace.tracing.explain_audit:
    path: /var/log/kubernetes/audit/audit.log
    namespace: kubetrace-explain-1
    since: "2026-12-01T10:00:00.000000Z"
  register: audit
'''

RETURN = r'''
found:
  description: Whether the log exists.
  returned: always
  type: bool
entries:
  description:
    - Compact entries in log order - C(audit_id), C(verb), C(resource), C(subresource), C(namespace), C(name), C(uid),
      C(owners), C(user), C(user_agent), C(code), C(start), C(end), and C(node) for bindings, C(ready) for status patches.
  returned: always
  type: list
  elements: dict
files:
  description: The files read, oldest first.
  returned: always
  type: list
  elements: str
unreadable:
  description: Lines that are not JSON (a line being written while the log rotates).
  returned: always
  type: int
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubetrace.tracing.plugins.module_utils import _flow


def log_files(path, since_ns):
    """The log and its rotated files (named audit-<time>.log by kube-apiserver) modified since since_ns, oldest first."""
    folder, name = os.path.split(path)
    stem, ext = os.path.splitext(name)
    found = []
    try:
        names = os.listdir(folder or '.')
    except OSError:
        return []
    for entry in names:
        full = os.path.join(folder, entry)
        if entry == name or (entry.startswith(stem + '-') and entry.endswith(ext)):
            try:
                mtime = os.stat(full).st_mtime_ns
            except OSError:
                continue
            if mtime >= since_ns or entry == name:
                found.append((entry != name, mtime, full))
    return [full for _rotated, _mtime, full in sorted(found, key=lambda item: (not item[0], item[1]))]


def main():
    module = AnsibleModule(argument_spec=dict(
        path=dict(type='path', required=True),
        namespace=dict(type='str', required=True),
        since=dict(type='str', required=True),
    ), supports_check_mode=True)
    params = module.params
    try:
        since = _flow.parse_time(params['since'])
    except _flow.FlowError as error:
        module.fail_json(msg='explain_audit: since: %s' % error)
    if not os.path.exists(params['path']):
        module.exit_json(changed=False, found=False, entries=[], files=[], unreadable=0)
    files, entries, unreadable = log_files(params['path'], since), [], 0
    for name in files:
        try:
            with open(name, encoding='utf-8', errors='replace') as lines:
                found, bad = _flow.read_audit_lines(lines, params['namespace'], since)
        except OSError as error:
            module.fail_json(msg='cannot read the audit log %s: %s' % (name, error))
        entries.extend(found)
        unreadable += bad
    module.exit_json(changed=False, found=True, entries=entries, files=files, unreadable=unreadable)


if __name__ == '__main__':
    main()
