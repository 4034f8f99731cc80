#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: component_restart
short_description: Restart a component, check it, and on a failed check put the previous files back
version_added: 0.2.0
description:
  - The handler every role of this collection runs after it changed a component's files - restart the systemd
    O(unit) (a static pod is restarted by the kubelet itself when its manifest changes), wait until the component
    is O(ready), and when it is not - put back every file of O(edits) from its backup (M(kubetrace.tracing.file_rollback)),
    restart again, wait for O(restored_ready), and fail the host with one message that says what was rolled back
    and whether the component answers again.
  - Does nothing in check mode.
options:
  name:
    description: The component, as messages name it (C(kube-apiserver)).
    type: str
    required: true
  unit:
    description: The systemd unit to restart; none for a static pod.
    type: str
  ready:
    description:
      - What ready means after the change - the options of M(kubetrace.tracing.component_ready) (C(url),
        C(process) with the new flags and the pids from before, C(command), C(timeout), ...).
    type: dict
    required: true
  restored_ready:
    description: What ready means after a rollback; O(ready) by default.
    type: dict
  edits:
    description: The registered results of the tasks that changed files in this run (with C(backup=true)).
    type: list
    elements: dict
    default: []
  log_hint:
    description: Where to look when the component does not answer even after the rollback.
    type: str
    default: ''
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Nothing is restarted in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
seealso:
  - module: kubetrace.tracing.component_ready
  - module: kubetrace.tracing.file_rollback
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Restart kubelet
  kubetrace.tracing.component_restart:
    name: the kubelet
    unit: kubelet.service
    ready:
      url: http://127.0.0.1:10248/healthz
      timeout: 60
    edits: ["{{ kubelet_config_edit }}"]
    log_hint: journalctl -u kubelet
  listen: restart kubelet
'''

RETURN = r'''
ready:
  description: The component was ready after the change.
  returned: unless in check mode
  type: bool
  sample: true
rolled_back:
  description: What was put back, one line per file.
  returned: when it was not ready
  type: list
  elements: str
  sample: ['/var/lib/kubelet/config.yaml restored from /var/lib/kubetrace/backups/var/lib/kubelet/config.yaml.20261201T120000.000000Z']
msg:
  description: What happened, in words.
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubetrace.tracing.plugins.module_utils._edit_specs import COMPONENT_RESTART


def main():
    module = AnsibleModule(argument_spec=COMPONENT_RESTART, supports_check_mode=True)
    module.fail_json(msg='component_restart runs through its action plugin; call it as a task in a play')


if __name__ == '__main__':
    main()
