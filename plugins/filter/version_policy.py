# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The version policy as filters, for the roles: which apiVersion, gates, mechanisms and flags."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils import _version_policy as policy
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._filters import as_filter


class FilterModule:
    """kubetrace.tracing.<name> filters over a component's version."""

    def filters(self):
        return {name: as_filter(getattr(policy, name)) for name in (
            'tracing_config_api_version',
            'tracing_feature_gates',
            'tracing_feature_gate_changes',
            'gate_stage',
            'kubelet_tracing_supported',
            'kubelet_config_dir_support',
            'kubelet_config_target',
            'kubeadm_config_api',
            'containerd_tracing_mechanisms',
            'containerd_tracing_keys',
            'etcd_tracing_flags',
            'etcd_obsolete_tracing_flags',
            'etcd_tracing_flag_values',
            'crio_tracing_supported',
            'jaeger_query_apis',
        )}
