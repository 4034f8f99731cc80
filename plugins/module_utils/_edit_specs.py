# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: argument specs of the edit modules.

One definition serves the module (node side, which adds the hidden
``_kubetrace_*`` parameters its action plugin passes) and the action plugin
(controller side, which validates what the task gave).
"""

from __future__ import annotations

BACKUP_DIR = '/var/lib/kubetrace/backups'

FILE_EDIT = dict(
    path=dict(type='path', required=True, aliases=['dest']),
    create=dict(type='bool', default=False),
    backup=dict(type='bool', default=False),
    backup_dir=dict(type='path', default=BACKUP_DIR),
    validate=dict(type='str'),
    record=dict(type='path'),
    restore=dict(type='bool', default=False),
)

TREE_EDIT = dict(
    FILE_EDIT,
    set=dict(type='dict', default={}),
    unset=dict(type='list', elements='str', default=[]),
)

# a hostPath volume and its mount: static_pod's host_path_mounts, kubeadm_configmap's extra_volumes
HOST_PATH_MOUNT = dict(type='list', elements='dict', default=[], options=dict(
    name=dict(type='str', required=True),
    host_path=dict(type='path'),
    mount_path=dict(type='path'),
    read_only=dict(type='bool', default=True),
    type=dict(type='str', choices=['DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File',
                                   'Socket', 'CharDevice', 'BlockDevice']),
    state=dict(type='str', default='present', choices=['present', 'absent']),
), required_if=[('state', 'present', ('host_path', 'mount_path'))])

STATIC_POD = dict(
    {name: option for name, option in FILE_EDIT.items() if name != 'create'},
    container=dict(type='str', required=True),
    flags=dict(type='dict', default={}),
    feature_gates=dict(type='dict', default={}),
    annotations=dict(type='dict', default={}),
    host_path_mounts=HOST_PATH_MOUNT,
)

SYSTEMD_DROPIN = dict(
    {name: option for name, option in FILE_EDIT.items() if name != 'create'},
    unit_files=dict(type='list', elements='path', default=[]),
    exec_start_flags=dict(type='dict', default={}),
    feature_gates=dict(type='dict', default={}),
    environment=dict(type='dict', default={}),
    unset_environment=dict(type='list', elements='str', default=[]),
    comment=dict(type='str', default=''),
)

KUBEADM_CONFIGMAP = dict(
    name=dict(type='str', required=True, choices=['kubeadm-config', 'kubelet-config']),
    key=dict(type='str', no_log=False),     # the ConfigMap's data key, no secret
    namespace=dict(type='str', default='kube-system'),
    kubeconfig=dict(type='path', default='/etc/kubernetes/admin.conf'),
    set=dict(type='dict', default={}),
    unset=dict(type='list', elements='str', default=[]),
    component=dict(type='str', choices=['apiServer', 'controllerManager', 'scheduler', 'etcd']),
    extra_args=dict(type='dict', default={}),
    feature_gates=dict(type='dict', default={}),
    extra_volumes=HOST_PATH_MOUNT,
    backup=dict(type='bool', default=False),
    backup_dir=dict(type='path', default=BACKUP_DIR),
    record=dict(type='path'),
    restore=dict(type='bool', default=False),
    timeout=dict(type='int', default=15),
)

COMPONENT_RESTART = dict(
    name=dict(type='str', required=True),
    unit=dict(type='str'),
    ready=dict(type='dict', required=True),
    restored_ready=dict(type='dict'),
    edits=dict(type='list', elements='dict', default=[]),
    log_hint=dict(type='str', default=''),
)

AGENT_PKI = dict(
    path=dict(type='path', required=True),
    ca_name=dict(type='str', default='kubetrace agents CA'),
    certs=dict(type='list', elements='dict', default=[], options=dict(
        name=dict(type='str', required=True),
        names=dict(type='list', elements='str', default=[]),
        usage=dict(type='str', choices=['server', 'client'], default='server'),
    )),
    clients=dict(type='list', elements='str', default=[]),
    ca_days=dict(type='int', default=3650),
    days=dict(type='int', default=365),
    renew_before_days=dict(type='int', default=30),
)

NODE_PHASE = dict(
    _kubetrace_phase=dict(type='str', choices=['read', 'write']),
    _kubetrace_content=dict(type='str'),
    _kubetrace_original_sha256=dict(type='str'),
    _kubetrace_delete=dict(type='bool', default=False),
    _kubetrace_make_dirs=dict(type='list', elements='path', default=[]),
    _kubetrace_remove_dirs=dict(type='list', elements='path', default=[]),
    _kubetrace_record_content=dict(type='str'),
    _kubetrace_record_original_sha256=dict(type='str'),
    _kubetrace_record_first=dict(type='bool', default=True),
    _kubetrace_also_read=dict(type='list', elements='path', default=[]),
    _kubetrace_resource_version=dict(type='str'),
)


def node_spec(spec: dict) -> dict:
    """The module's own spec: the public one plus what its action plugin passes."""
    return dict(spec, **NODE_PHASE)
