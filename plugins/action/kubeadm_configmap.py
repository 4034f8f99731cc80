# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kubetrace.tracing.kubeadm_configmap: edit the YAML a kubeadm ConfigMap holds, here."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.kubetrace.tracing.plugins.module_utils import _edit_specs, _kubeadm_config, _record, _yaml_doc
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._edit_action import TreeEditAction

KEYS = {'kubeadm-config': 'ClusterConfiguration', 'kubelet-config': 'kubelet'}


class ActionModule(TreeEditAction):
    MODULE = 'kubetrace.tracing.kubeadm_configmap'
    ARGUMENT_SPEC = _edit_specs.KUBEADM_CONFIGMAP
    LIBRARY_NAME = 'ruamel.yaml'
    LIBRARY_PRESENT = _yaml_doc.HAS_RUAMEL
    ENGINE = _yaml_doc
    FILE_ARGUMENTS = False

    def target(self, params):
        return 'configmap %s/%s %s' % (params['namespace'], params['name'], params['key'] or KEYS[params['name']])

    def check_params(self, params):
        params['key'] = params['key'] or KEYS[params['name']]
        cluster = params['component'] or params['extra_args'] or params['feature_gates'] or params['extra_volumes']
        if params['name'] == 'kubeadm-config' and (params['set'] or params['unset']):
            raise AnsibleActionFail('%s: set and unset are for kubelet-config; give kubeadm-config\'s changes as '
                                    'component, extra_args, feature_gates and extra_volumes' % self.target(params))
        if params['name'] == 'kubelet-config' and cluster:
            raise AnsibleActionFail('%s: component, extra_args, feature_gates and extra_volumes are for kubeadm-config; '
                                    'give kubelet-config\'s changes as set and unset' % self.target(params))
        if params['name'] == 'kubeadm-config' and not params['component']:
            raise AnsibleActionFail('%s: name the component whose settings change (apiServer, etcd, ...)'
                                    % self.target(params))

    def missing(self, params, read):
        if not read.get('configmap_exists'):
            return dict(changed=False, missing=True,
                        msg='%s: there is no such ConfigMap (not a kubeadm cluster?); nothing to keep there'
                        % self.target(params))
        raise AnsibleActionFail('%s: the ConfigMap has no key %s; is this the ConfigMap kubeadm made?'
                                % (self.target(params), params['key']))

    def write_arguments(self, read):
        return {'resource_version': read.get('resource_version')}

    def _cluster(self, params):
        return params['name'] == 'kubeadm-config'

    def apply(self, doc, params, dry_run):
        if not self._cluster(params):
            return super().apply(doc, params, dry_run)
        return _kubeadm_config.change_cluster_configuration(doc, params['component'], params['extra_args'],
                                                            params['feature_gates'], params['extra_volumes'], dry_run)

    def subjects(self, params):
        if not self._cluster(params):
            return super().subjects(params)
        return _kubeadm_config.cluster_subjects(params['extra_args'], params['feature_gates'], params['extra_volumes'])

    def observe(self, doc, subjects, params):
        if not self._cluster(params):
            return super().observe(doc, subjects, params)
        return _kubeadm_config.observe_cluster(doc, params['component'], subjects, _record.ABSENT)

    def created_containers(self, doc, params):
        return [] if self._cluster(params) else super().created_containers(doc, params)

    def apply_restore(self, doc, values, params, dry_run):
        if not self._cluster(params):
            return super().apply_restore(doc, values, params, dry_run)
        return _kubeadm_config.restore_cluster(doc, params['component'], values, _record.ABSENT, dry_run)
