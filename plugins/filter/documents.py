# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Questions about a YAML or TOML document's text, with the edit modules' key path grammar."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.module_utils import (
    _kubeadm_config,
    _keypath,
    _toml_doc,
    _tree,
    _yaml_doc,
)
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._edit_action import plain_data

_MISSING = object()


def key_paths_present(text, paths, document_format='toml') -> list:
    """The key paths of ``paths`` that ``text`` has, in the order given."""
    engines = {'toml': _toml_doc, 'yaml': _yaml_doc}
    if document_format not in engines:
        raise AnsibleFilterError('key_paths_present: document_format must be toml or yaml, not %r' % document_format)
    engine = engines[document_format]
    try:
        document = engine.parse(str(text))
        if document is None:
            return []
        return [path for path in paths
                if _tree.get_value(document, _keypath.parse(path), engine.STYLE, _MISSING) is not _MISSING]
    except EditError as exc:
        raise AnsibleFilterError('key_paths_present: %s' % exc) from None


def yaml_text_edit(text, set_values=None, unset=None) -> str:
    """``text`` (one YAML document) with the key paths of ``set_values`` set and those of ``unset`` removed,
    every other byte kept: the edit of yaml_edit, for YAML that lives in a ConfigMap rather than a file."""
    try:
        compiled = _tree.compile_paths(plain_data(set_values or {}), plain_data(unset or []))
        return _yaml_doc.edit(str(text), lambda doc, dry_run: _tree.apply_paths(doc, compiled, _yaml_doc.STYLE, dry_run))
    except EditError as exc:
        raise AnsibleFilterError('yaml_text_edit: %s' % exc) from None


def kubeadm_cluster_configuration(text, component='apiServer', extra_args=None, feature_gates=None, volumes=None) -> str:
    """kubeadm's ClusterConfiguration text with a component's extraArgs, feature gates and extraVolumes
    changed (v1beta3 map or v1beta4 list form, as the document has it), every other byte kept."""
    try:
        return _yaml_doc.edit(str(text), lambda doc, dry_run: _kubeadm_config.change_cluster_configuration(
            doc, component, plain_data(extra_args), plain_data(feature_gates), plain_data(volumes), dry_run))
    except EditError as exc:
        raise AnsibleFilterError('kubeadm_cluster_configuration: %s' % exc) from None


class FilterModule:
    """kubetrace.tracing.key_paths_present, yaml_text_edit and kubeadm_cluster_configuration."""

    def filters(self):
        return {'key_paths_present': key_paths_present, 'yaml_text_edit': yaml_text_edit,
                'kubeadm_cluster_configuration': kubeadm_cluster_configuration}
