#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: kubeadm_configmap
short_description: Keep settings where kubeadm upgrade and join read them, in kubeadm-config or kubelet-config
version_added: 0.2.0
description:
  - C(kubeadm upgrade) writes the control-plane manifests anew from the ClusterConfiguration in the C(kubeadm-config)
    ConfigMap, and C(kubeadm join) and C(kubeadm upgrade) write each node's C(/var/lib/kubelet/config.yaml) from the
    C(kubelet-config) ConfigMap; a setting that is only in the files is lost at the next upgrade. This module edits
    the YAML those ConfigMaps hold, keeping every other byte.
  - For C(kubeadm-config), a component's arguments, feature gates and volumes (O(component), O(extra_args),
    O(feature_gates), O(extra_volumes)), as kubeadm.k8s.io/v1beta3 (a map) or v1beta4 (a list) keeps them. For
    C(kubelet-config), key paths of the KubeletConfiguration (O(set), O(unset)).
  - Talks to kube-apiserver from the node with the certificates of O(kubeconfig) (written to a private temporary
    folder for the call and removed after); the node needs only Python 3. The patch carries the ConfigMap's
    resourceVersion, so a concurrent change makes the task fail rather than be overwritten.
  - A cluster without the ConfigMap (not made by kubeadm) is reported and left alone.
  - O(record) and O(restore) work as for the file edit modules; the record notes what each argument, gate, volume
    or key held before, and an undo puts exactly that back.
options:
  name:
    description: The ConfigMap, in O(namespace).
    type: str
    required: true
    choices: [kubeadm-config, kubelet-config]
  key:
    description: Its key that holds the YAML; C(ClusterConfiguration) and C(kubelet) by default.
    type: str
  namespace:
    description: The ConfigMap's namespace.
    type: str
    default: kube-system
  kubeconfig:
    description: A kubeconfig on the node with one cluster and a user allowed to read and patch the ConfigMap.
    type: path
    default: /etc/kubernetes/admin.conf
  set:
    description: For C(kubelet-config), key paths of the KubeletConfiguration and their values.
    type: dict
    default: {}
  unset:
    description: For C(kubelet-config), key paths to take out.
    type: list
    elements: str
    default: []
  component:
    description: For C(kubeadm-config), whose settings change; C(etcd) means a local etcd (C(etcd.local)).
    type: str
    choices: [apiServer, controllerManager, scheduler, etcd]
  extra_args:
    description: For C(kubeadm-config), the component's arguments, name to value; null takes one out.
    type: dict
    default: {}
  feature_gates:
    description: For C(kubeadm-config), gates merged into the component's C(feature-gates) argument; null takes one out.
    type: dict
    default: {}
  extra_volumes:
    description: For C(kubeadm-config), hostPath volumes of the component's static pod.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The volume's name.
        type: str
        required: true
      host_path:
        description: Path on the node.
        type: path
      mount_path:
        description: Path in the container.
        type: path
      read_only:
        description: Mount read-only.
        type: bool
        default: true
      type:
        description: The hostPath type (C(pathType)); left out when not given.
        type: str
        choices: [DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice]
      state:
        description: Whether the volume should be there.
        type: str
        default: present
        choices: [present, absent]
  backup:
    description: Keep the previous text in O(backup_dir) (under C(configmaps/NAMESPACE/NAME/KEY) with a timestamp).
    type: bool
    default: false
  backup_dir:
    description: Folder on the node that holds backups.
    type: path
    default: /var/lib/kubetrace/backups
  record:
    description: The component's record file on the node; see M(kubetrace.tracing.yaml_edit).
    type: path
  restore:
    description: Put back what O(record) says the ConfigMap held, then forget it.
    type: bool
    default: false
  timeout:
    description: Seconds a call to kube-apiserver may take.
    type: int
    default: 15
  _kubetrace_phase:
    description: Internal, set by the action plugin; never set it in a task.
    type: str
    choices: [read, write]
  _kubetrace_content:
    description: Internal, set by the action plugin; the new text, base64-encoded.
    type: str
  _kubetrace_resource_version:
    description: Internal, set by the action plugin; the resourceVersion the text was read at.
    type: str
  _kubetrace_record_content:
    description: Internal, set by the action plugin; the record's new text, base64-encoded (empty removes it).
    type: str
  _kubetrace_record_original_sha256:
    description: Internal, set by the action plugin; the digest of the record it read.
    type: str
  _kubetrace_record_first:
    description: Internal, set by the action plugin; write the record before the ConfigMap (a change) or after (an undo).
    type: bool
    default: true
  _kubetrace_original_sha256:
    description: Internal, set by the action plugin; unused here (the resourceVersion guards the write).
    type: str
  _kubetrace_delete:
    description: Internal; never true here.
    type: bool
    default: false
  _kubetrace_make_dirs:
    description: Internal; unused here.
    type: list
    elements: path
    default: []
  _kubetrace_remove_dirs:
    description: Internal; unused here.
    type: list
    elements: path
    default: []
  _kubetrace_also_read:
    description: Internal; unused here.
    type: list
    elements: path
    default: []
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: It reads the ConfigMap and shows the change; nothing is patched.
  diff_mode:
    support: full
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
seealso:
  - module: kubetrace.tracing.static_pod
author:
  - kubetrace.tracing contributors (@kubetrace)
'''

EXAMPLES = r'''
- name: Keep kube-apiserver's tracing flag and volume where kubeadm upgrade reads them
  kubetrace.tracing.kubeadm_configmap:
    name: kubeadm-config
    component: apiServer
    extra_args:
      tracing-config-file: /etc/kubernetes/tracing/apiserver-tracing.yaml
    extra_volumes:
      - name: kubetrace-tracing
        host_path: /etc/kubernetes/tracing
        mount_path: /etc/kubernetes/tracing
        type: DirectoryOrCreate
    record: /var/lib/kubetrace/state/apiserver.json

- name: Keep the kubelet's tracing block where kubeadm join and upgrade read it
  kubetrace.tracing.kubeadm_configmap:
    name: kubelet-config
    set:
      tracing.endpoint: 10.0.0.5:4317
      tracing.samplingRatePerMillion: 10000
    record: /var/lib/kubetrace/state/kubelet.json
'''

RETURN = r'''
path:
  description: The ConfigMap and key, as C(configmap NAMESPACE/NAME KEY).
  returned: always
  type: str
  sample: configmap kube-system/kubeadm-config ClusterConfiguration
missing:
  description: The ConfigMap does not exist; nothing was done.
  returned: when it does not exist
  type: bool
  sample: true
backup_file:
  description: Where the previous text was kept on the node.
  returned: when O(backup=true) and it changed
  type: str
  sample: /var/lib/kubetrace/backups/configmaps/kube-system/kubeadm-config/ClusterConfiguration.20261201T120000.000000Z
restored:
  description: What O(restore=true) put back.
  returned: with O(restore=true)
  type: list
  elements: str
  sample: ['extraArgs:tracing-config-file']
kept:
  description: What O(restore=true) left, because it changed since this collection wrote it.
  returned: with O(restore=true)
  type: list
  elements: str
  sample: []
'''

import base64
import hashlib
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.kubetrace.tracing.plugins.module_utils import _edit_specs, _kube_api, _node_file


def _url(params):
    return '/api/v1/namespaces/%s/configmaps/%s' % (params['namespace'], params['name'])


def read(module, client):
    params = module.params
    status, answer = client.request('GET', _url(params))
    found = dict(exists=False, configmap_exists=status == 200)
    if status == 200:
        text = (answer.get('data') or {}).get(params['key'])
        found['resource_version'] = answer.get('metadata', {}).get('resourceVersion')
        if text is not None:
            data = text.encode('utf-8')
            found.update(exists=True, content=base64.b64encode(data).decode('ascii'),
                         sha256=hashlib.sha256(data).hexdigest())
    if params.get('record'):
        found.update(_node_file.read_record(module, params['record']))
    return found


def backup(module, params, text: str) -> str:
    folder = os.path.join(params['backup_dir'], 'configmaps', params['namespace'], params['name'])
    target = _node_file.backup_path(os.path.join('/', params['key']), folder)
    try:
        os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
        with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 'w', encoding='utf-8') as out:
            out.write(text)
    except OSError as exc:
        module.fail_json(msg='configmap %s/%s: could not write its backup to %s: %s; nothing was changed'
                         % (params['namespace'], params['name'], target, exc))
    return target


def write(module, client):
    params = module.params
    result = dict(changed=False)
    record_given = params.get('record') and params.get('_kubetrace_record_content') is not None
    if record_given and params['_kubetrace_record_first']:
        _node_file.write_record(module, params['record'])
    if params['_kubetrace_content'] is not None:
        status, answer = client.request('GET', _url(params))
        if status != 200 or answer.get('metadata', {}).get('resourceVersion') != params['_kubetrace_resource_version']:
            module.fail_json(msg='configmap %s/%s changed while this task ran (another writer?); nothing was written, '
                             'run the task again' % (params['namespace'], params['name']))
        if params['backup']:
            result['backup_file'] = backup(module, params, (answer.get('data') or {}).get(params['key'], ''))
        text = base64.b64decode(params['_kubetrace_content']).decode('utf-8')
        # the resourceVersion makes kube-apiserver refuse the patch if someone changed the ConfigMap meanwhile
        status, _answer = client.request('PATCH', _url(params), {
            'metadata': {'resourceVersion': params['_kubetrace_resource_version']},
            'data': {params['key']: text}}, content_type='application/merge-patch+json')
        if status == 409:
            module.fail_json(msg='configmap %s/%s changed while this task ran (another writer?); nothing was written, '
                             'run the task again' % (params['namespace'], params['name']))
        result['changed'] = True
    if record_given and not params['_kubetrace_record_first']:
        _node_file.write_record(module, params['record'])
    return result


def main():
    module = AnsibleModule(argument_spec=_edit_specs.node_spec(_edit_specs.KUBEADM_CONFIGMAP), supports_check_mode=True)
    params = module.params
    path = 'configmap %s/%s %s' % (params['namespace'], params['name'], params['key'])
    if params['_kubetrace_phase'] not in ('read', 'write'):
        module.fail_json(msg='this module runs through its action plugin; call it as a task in a play')
    try:
        with _kube_api.Client(params['kubeconfig'], params['timeout']) as client:
            if params['_kubetrace_phase'] == 'read':
                module.exit_json(changed=False, path=path, **read(module, client))
            module.exit_json(path=path, **write(module, client))
    except _kube_api.KubeApiError as exc:
        module.fail_json(msg='%s: %s' % (path, exc), path=path)


if __name__ == '__main__':
    main()
