# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the one exception every edit raises.

Not a public API; it may change without notice.
"""

from __future__ import annotations


class EditError(Exception):
    """An edit that cannot be made: the message says which key and what to do.

    The caller prefixes the file's path, so the message never repeats it.
    """
