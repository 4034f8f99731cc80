# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of kubetrace.tracing.toml_edit: parse and edit with tomlkit here."""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils import _edit_specs, _toml_doc, _tree
from ansible_collections.kubetrace.tracing.plugins.plugin_utils._edit_action import FileEditAction


class ActionModule(FileEditAction):
    MODULE = 'kubetrace.tracing.toml_edit'
    ARGUMENT_SPEC = _edit_specs.TREE_EDIT
    LIBRARY_NAME = 'tomlkit'
    LIBRARY_PRESENT = _toml_doc.HAS_TOMLKIT

    def new_text(self, text, params):
        compiled = _tree.compile_paths(params['set'], params['unset'])
        return _toml_doc.edit(text, lambda doc, dry_run: _tree.apply_paths(
            doc, compiled, _toml_doc.STYLE, dry_run))
