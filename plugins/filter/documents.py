# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Questions about a YAML or TOML document's text, with the edit modules' key path grammar."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.module_utils import _keypath, _toml_doc, _tree, _yaml_doc
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError

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


class FilterModule:
    """kubetrace.tracing.key_paths_present."""

    def filters(self):
        return {'key_paths_present': key_paths_present}
