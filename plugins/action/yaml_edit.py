# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kubetrace.tracing.yaml_edit: parse and edit with ruamel.yaml here."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils import _edit_specs, _yaml_doc
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._edit_action import TreeEditAction


class ActionModule(TreeEditAction):
    MODULE = 'kubetrace.tracing.yaml_edit'
    ARGUMENT_SPEC = _edit_specs.TREE_EDIT
    LIBRARY_NAME = 'ruamel.yaml'
    LIBRARY_PRESENT = _yaml_doc.HAS_RUAMEL
    ENGINE = _yaml_doc
