#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: toml_edit
short_description: Set and remove keys in a TOML file, changing nothing else
version_added: 0.1.0
description:
  - Sets or removes values at key paths in a TOML file, keeping every byte the edit does not touch
    (comments, table order, indentation, quoting).
  - New tables take the indentation of the tables beside them and new keys that of their table's keys
    (containerd 1.x indents nested tables by 2 and their keys by 4); where the file quotes keys and
    strings with single quotes (containerd 2.x), new ones are quoted that way too.
  - Key paths are dotted keys; a key with dots or spaces goes in double quotes (or single quotes, taken
    literally, as containerd 2.x writes its tables), as in
    C(plugins."io.containerd.tracing.processor.v1.otlp".endpoint); C([N]) indexes an array;
    C([field=value]) picks the one table of an array of tables whose field equals value.
  - Types are kept - a key that holds a float stays a float (C(1) is written C(1.0)), a literal
    string stays literal, and the line's comment stays.
  - The editing happens on the controller with tomlkit; the node needs only Python 3.
options:
  set:
    description:
      - Key paths and the values to put there. Missing tables on the way are created.
      - A table or array value replaces what is there, changing only the parts that differ.
    type: dict
    default: {}
  unset:
    description:
      - Key paths to remove. A path that is already absent is not an error.
    type: list
    elements: str
    default: []
  create:
    description:
      - Create the file when it does not exist; otherwise a missing file fails the task.
    type: bool
    default: false
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
  - module: kubetrace.tracing.yaml_edit
  - module: kubetrace.tracing.static_pod
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Send containerd's spans to the collector (containerd 1.6.0-1.6.31, 1.7.0-1.7.15, 1.7.19+)
  kubetrace.tracing.toml_edit:
    path: /etc/containerd/config.toml
    set:
      plugins."io.containerd.tracing.processor.v1.otlp".endpoint: 10.0.0.5:4318
      plugins."io.containerd.tracing.processor.v1.otlp".protocol: http/protobuf
      plugins."io.containerd.tracing.processor.v1.otlp".insecure: true
      plugins."io.containerd.internal.v1.tracing".sampling_ratio: 0.01
      plugins."io.containerd.internal.v1.tracing".service_name: containerd
    backup: true
    validate: containerd --config %s config dump

- name: Remove those keys again
  kubetrace.tracing.toml_edit:
    path: /etc/containerd/config.toml
    unset:
      - plugins."io.containerd.tracing.processor.v1.otlp"
      - plugins."io.containerd.internal.v1.tracing"
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
    module = AnsibleModule(argument_spec=_edit_specs.node_spec(_edit_specs.TREE_EDIT),
                           add_file_common_args=True, supports_check_mode=True)
    _node_file.run(module)


if __name__ == '__main__':
    main()
