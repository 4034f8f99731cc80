# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kubetrace.tracing.static_pod: edit the manifest with ruamel.yaml here."""

from __future__ import annotations

import posixpath

from ansible.errors import AnsibleActionFail

from ansible_collections.kubetrace.tracing.plugins.module_utils import _edit_specs, _record, _static_pod, _yaml_doc
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._edit_action import FileEditAction


def _mounts(params):
    return [_static_pod.HostPathMount(**mount) for mount in params['host_path_mounts']]


class ActionModule(FileEditAction):
    MODULE = 'kubetrace.tracing.static_pod'
    ARGUMENT_SPEC = _edit_specs.STATIC_POD
    LIBRARY_NAME = 'ruamel.yaml'
    LIBRARY_PRESENT = _yaml_doc.HAS_RUAMEL
    ENGINE = _yaml_doc

    def check_params(self, params):
        manifests = posixpath.dirname(posixpath.normpath(params['path']))
        backup_dir = posixpath.normpath(params['backup_dir'])
        if params['backup'] and (backup_dir + '/').startswith(manifests + '/'):
            raise AnsibleActionFail('%s: backup_dir %s is inside the manifests folder, where the kubelet '
                                    'would run every backup as a pod; choose a folder outside %s'
                                    % (params['path'], backup_dir, manifests))

    def apply(self, doc, params, dry_run):
        return _static_pod.change_pod(doc, params['container'], params['flags'], params['feature_gates'],
                                      _mounts(params), _yaml_doc.STYLE, dry_run, params['annotations'])

    def subjects(self, params):
        return _static_pod.pod_subjects(params['flags'], params['feature_gates'], _mounts(params),
                                        params['annotations'])

    def observe(self, doc, subjects, params):
        return _static_pod.observe_pod(doc, params['container'], subjects, _record.ABSENT)

    def created_containers(self, doc, params):
        return _static_pod.pod_created_containers(doc, params['container'], _mounts(params), params['annotations'])

    def apply_restore(self, doc, values, params, dry_run):
        return _static_pod.restore_pod(doc, params['container'], values, _record.ABSENT, _yaml_doc.STYLE, dry_run)
