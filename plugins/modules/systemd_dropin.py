#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: systemd_dropin
short_description: Give a systemd unit environment variables or changed command-line flags through a drop-in
version_added: 0.2.0
description:
  - Writes a drop-in (C(/etc/systemd/system/NAME.service.d/50-kubetrace-tracing.conf)) that sets environment
    variables, takes variables out (C(UnsetEnvironment=)), and, with O(exec_start_flags), repeats the unit's
    command line with flags set, changed or removed.
  - The command line is the one systemd would run without this drop-in - the last C(ExecStart=) of the unit file
    and its other drop-ins (O(unit_files), in systemd's order), an empty C(ExecStart=) resetting it - so the
    drop-in never feeds on itself and follows the operator's own drop-ins.
  - Does not reload or restart the unit; the roles do that in a handler, after every change of the run.
  - With O(record), a drop-in this collection creates is noted as created (an undo with O(restore) removes it); a
    file of somebody else's at that path is noted whole, and an undo puts it back.
  - The text is computed on the controller; the node needs only Python 3.
options:
  unit_files:
    description:
      - The unit file and its drop-ins, in the order systemd reads them (component_facts returns them as the unit's
        C(fragment_path) and C(drop_in_paths)). Needed with O(exec_start_flags). O(path) itself is skipped.
    type: list
    elements: path
    default: []
  exec_start_flags:
    description:
      - Flags to set on the unit's command line (C(--name=value), changed in place or added at the end); null takes
        a flag out. Empty leaves ExecStart alone.
    type: dict
    default: {}
  feature_gates:
    description:
      - Gates merged into the command line's C(--feature-gates) (gate to true or false; null takes one out), the other
        gates and their order kept; the flag goes when no gate is left. Needs O(unit_files).
    type: dict
    default: {}
  environment:
    description: Variables to set (C(Environment="NAME=value")).
    type: dict
    default: {}
  unset_environment:
    description:
      - Variables to take out of the unit's environment (C(UnsetEnvironment=)), such as an C(ETCD_*) variable of an
        C(EnvironmentFile=) that would clash with a flag (etcd refuses a setting given both ways).
    type: list
    elements: str
    default: []
  comment:
    description: Said on the drop-in's first line, after who wrote it.
    type: str
    default: ''
extends_documentation_fragment:
  - kubetrace.tracing.file_edit
  - kubetrace.tracing.file_edit.internal
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
  safe_file_operations:
    description: Uses Ansible's atomic move on the node, with the file's attributes kept.
    support: full
  vault:
    description: Takes no files from the controller, so there is nothing to decrypt.
    support: none
seealso:
  - module: kubetrace.tracing.component_facts
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: containerd reads its OpenTelemetry settings from the environment
  kubetrace.tracing.systemd_dropin:
    path: /etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf
    environment:
      OTEL_EXPORTER_OTLP_ENDPOINT: http://10.0.0.5:4318
      OTEL_SERVICE_NAME: containerd
    record: /var/lib/kubetrace/state/containerd.json

- name: etcd run by systemd gets its tracing flags on its command line
  kubetrace.tracing.systemd_dropin:
    path: /etc/systemd/system/etcd.service.d/50-kubetrace-tracing.conf
    unit_files: [/etc/systemd/system/etcd.service]
    exec_start_flags:
      enable-distributed-tracing: true
      distributed-tracing-address: 10.0.0.5:4317
      experimental-enable-distributed-tracing: null
    unset_environment: [ETCD_ENABLE_DISTRIBUTED_TRACING, ETCD_EXPERIMENTAL_ENABLE_DISTRIBUTED_TRACING]
    record: /var/lib/kubetrace/state/etcd.json

- name: Take it out again
  kubetrace.tracing.systemd_dropin:
    path: /etc/systemd/system/etcd.service.d/50-kubetrace-tracing.conf
    record: /var/lib/kubetrace/state/etcd.json
    restore: true
'''

RETURN = r'''
path:
  description: The drop-in.
  returned: always
  type: str
  sample: /etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf
sha256:
  description: SHA-256 of the drop-in after the task (as it would be, in check mode).
  returned: when the drop-in is there after the task
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
created:
  description: The drop-in did not exist and the task creates it.
  returned: when the task creates it
  type: bool
  sample: true
backup_file:
  description: Where the previous drop-in was kept.
  returned: when O(backup=true) and the drop-in changed
  type: str
  sample: /var/lib/kubetrace/backups/etc/systemd/system/containerd.service.d/50-kubetrace-tracing.conf.20261201T120000.000000Z
restored:
  description: What O(restore=true) put back.
  returned: with O(restore=true)
  type: list
  elements: str
  sample: ['(the drop-in kubetrace created)']
kept:
  description: What O(restore=true) left as it is, because it changed since this collection wrote it.
  returned: with O(restore=true)
  type: list
  elements: str
  sample: []
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubetrace.tracing.plugins.module_utils import _edit_specs, _node_file


def main():
    module = AnsibleModule(argument_spec=_edit_specs.node_spec(_edit_specs.SYSTEMD_DROPIN),
                           add_file_common_args=True, supports_check_mode=True)
    _node_file.run(module)


if __name__ == '__main__':
    main()
