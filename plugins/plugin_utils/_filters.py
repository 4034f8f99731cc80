# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: module_utils functions served as filters."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError


def as_filter(function):
    """``function`` with its EditError (PolicyError included) turned into AnsibleFilterError."""
    def wrapped(*args):
        try:
            return function(*args)
        except EditError as exc:
            raise AnsibleFilterError(str(exc)) from None
    wrapped.__name__ = function.__name__
    wrapped.__doc__ = function.__doc__
    return wrapped
