#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: static_pod
short_description: Set command-line flags, feature gates and hostPath mounts of a static pod
version_added: 0.1.0
description:
  - Edits one container of a static pod manifest (such as kubeadm's
    C(/etc/kubernetes/manifests/kube-apiserver.yaml)), keeping every byte the edit does not touch.
  - Flags are C(--name=value) items of the container's C(command) (or C(args)); new flags go in
    name order when the manifest keeps that order, as kubeadm does.
  - O(feature_gates) are merged into the existing C(--feature-gates) flag; unrelated gates and their
    order are kept, and the flag is removed when no gate is left.
  - A hostPath mount is added once to C(spec.volumes) and once to the container's C(volumeMounts),
    each with its keys in the order the manifest's other volumes and mounts use.
  - The kubelet restarts the pod when the manifest changes; this module does not wait for it.
  - The editing happens on the controller with ruamel.yaml; the node needs only Python 3.
options:
  container:
    description:
      - Name of the container to change, as in C(spec.containers[].name).
    type: str
    required: true
  flags:
    description:
      - Flag names (with or without leading dashes) and their values. C(true) and C(false) are written
        as C(true) and C(false); C(null) removes the flag.
      - C(feature-gates) is refused here; use O(feature_gates).
    type: dict
    default: {}
  feature_gates:
    description:
      - Gate names and C(true) or C(false); C(null) removes the gate from C(--feature-gates).
    type: dict
    default: {}
  annotations:
    description:
      - Pod annotations (C(metadata.annotations)), each a name and a string value; C(null) removes one.
      - The kubelet starts the pod anew whenever its manifest changes, so an annotation that carries a
        checksum of a mounted file makes a change of that file restart the pod.
    type: dict
    default: {}
  host_path_mounts:
    description:
      - hostPath volumes to mount into the container, or with O(host_path_mounts[].state=absent) to take out.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Volume name, shared by the volume and the mount.
        type: str
        required: true
      host_path:
        description: Path on the node. Required when O(host_path_mounts[].state=present).
        type: path
      mount_path:
        description: Path inside the container. Required when O(host_path_mounts[].state=present).
        type: path
      read_only:
        description: Mount read-only.
        type: bool
        default: true
      type:
        description: The hostPath type; left out of the manifest when not given.
        type: str
        choices: [DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice]
      state:
        description: Whether the volume and its mount should be there.
        type: str
        default: present
        choices: [present, absent]
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
notes:
  - O(backup_dir) may not lie inside the manifests folder; the kubelet would run every backup there as a pod.
seealso:
  - module: kubetrace.tracing.yaml_edit
  - module: kubetrace.tracing.component_facts
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Turn on kube-apiserver tracing (1.22-1.26 also need the gate)
  kubetrace.tracing.static_pod:
    path: /etc/kubernetes/manifests/kube-apiserver.yaml
    container: kube-apiserver
    flags:
      tracing-config-file: /etc/kubernetes/tracing/apiserver-tracing.yaml
    feature_gates:
      APIServerTracing: true
    host_path_mounts:
      - name: kubetrace-tracing
        host_path: /etc/kubernetes/tracing
        mount_path: /etc/kubernetes/tracing
        type: DirectoryOrCreate
    annotations:
      kubetrace.tracing/tracing-config-sha256: "{{ tracing_config.checksum }}"
    backup: true

- name: Undo it, leaving other gates alone
  kubetrace.tracing.static_pod:
    path: /etc/kubernetes/manifests/kube-apiserver.yaml
    container: kube-apiserver
    flags:
      tracing-config-file: null
    feature_gates:
      APIServerTracing: null
    host_path_mounts:
      - name: kubetrace-tracing
        state: absent
'''

RETURN = r'''
path:
  description: The file that was edited.
  returned: always
  type: str
  sample: /etc/kubernetes/manifests/kube-apiserver.yaml
sha256:
  description: SHA-256 of the file's content after the edit (as it would be, in check mode).
  returned: when the file is there after the edit
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
created:
  description: The file did not exist and the edit creates it.
  returned: when the edit creates the file
  type: bool
  sample: true
backup_file:
  description: Where the backup of the previous content was written.
  returned: when O(backup=true) and the file changed
  type: str
  sample: /var/lib/kubetrace/backups/etc/kubernetes/manifests/kube-apiserver.yaml.20261126T140000.000000Z
restored:
  description: What O(restore=true) put back, as the record names it.
  returned: with O(restore=true)
  type: list
  elements: str
  sample: [tracing.endpoint, tracing.samplingRatePerMillion]
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
    module = AnsibleModule(argument_spec=_edit_specs.node_spec(_edit_specs.STATIC_POD),
                           add_file_common_args=True, supports_check_mode=True)
    _node_file.run(module)


if __name__ == '__main__':
    main()
