#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: yaml_edit
short_description: Set and remove keys in a YAML file, changing nothing else
version_added: 0.1.0
description:
  - Sets or removes values at key paths in a YAML file with one document, keeping every byte the
    edit does not touch (comments, key order, quoting, blank lines, the C(---) marker and the file's
    own indentation, including kubeadm's list items at their parent's indent).
  - New keys and list items are written at their siblings' indentation, and a new list item puts its keys
    in the order its siblings use.
  - A file written as JSON (as cloud node images write the kubelet's config) stays JSON, in its own
    indentation, with one line changed per value.
  - Where the change cannot be made without rewriting lines it does not touch (some flow-style or oddly
    spaced YAML), the task fails and says how many lines that would be, and the file is left as it was.
  - Key paths are dotted keys; a key with dots or spaces goes in double quotes (or single quotes, taken
    literally); C([N]) indexes a list; C([field=value]) picks the one list item whose field equals value.
  - A key that holds a scalar keeps its type (an integer stays an integer, a quoted string stays quoted);
    a value that cannot take that type fails the task.
  - The editing happens on the controller with ruamel.yaml; the node needs only Python 3.
options:
  set:
    description:
      - Key paths and the values to put there. Missing mappings on the way are created.
      - A mapping or list value replaces what is there, changing only the parts that differ.
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
  - module: kubetrace.tracing.toml_edit
  - module: kubetrace.tracing.static_pod
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Point the kubelet's tracing at the collector
  kubetrace.tracing.yaml_edit:
    path: /var/lib/kubelet/config.yaml
    set:
      tracing.endpoint: 10.0.0.5:4317
      tracing.samplingRatePerMillion: 10000
    backup: true

- name: Remove the kubelet's tracing again
  kubetrace.tracing.yaml_edit:
    path: /var/lib/kubelet/config.yaml
    unset:
      - tracing

- name: Give the apiserver container a new image
  kubetrace.tracing.yaml_edit:
    path: /etc/kubernetes/manifests/kube-apiserver.yaml
    set:
      spec.containers[name=kube-apiserver].image: registry.k8s.io/kube-apiserver:v1.37.2
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
