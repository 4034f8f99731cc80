# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: carry an edit back onto the file's own bytes.

A round-trip parser may write untouched lines a little differently from the
file (``null`` as an empty value, a comment column moved). ``splice`` takes
the change between the parser's rendering of the unedited document and of
the edited one, and applies only that change to the original text, so every
line the edit did not touch keeps its bytes.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError


def _line_map(original: list, normalized: list) -> dict:
    """Line numbers of ``normalized`` mapped to the identical line of ``original``."""
    mapping = {}
    matcher = SequenceMatcher(None, original, normalized, autojunk=False)
    for orig_start, norm_start, size in matcher.get_matching_blocks():
        for offset in range(size):
            mapping[norm_start + offset] = orig_start + offset
    return mapping


def _anchor(mapping: dict, norm_line: int, norm_len: int, orig_len: int):
    """Where in ``original`` an insertion before normalized line ``norm_line`` goes."""
    if norm_line < norm_len and norm_line in mapping:
        return mapping[norm_line]
    if norm_line > 0 and norm_line - 1 in mapping:
        return mapping[norm_line - 1] + 1
    if norm_line == 0:
        return 0
    if norm_line == norm_len:
        return orig_len
    return None


def splice(original: str, normalized: str, edited: str):
    """``original`` with the change normalized -> edited applied; None if it cannot be placed."""
    if normalized == original:
        return edited
    orig = original.splitlines(keepends=True)
    norm = normalized.splitlines(keepends=True)
    new = edited.splitlines(keepends=True)
    mapping = _line_map(orig, norm)
    replacements = []
    for tag, n_start, n_end, e_start, e_end in SequenceMatcher(None, norm, new, autojunk=False).get_opcodes():
        if tag == 'equal':
            continue
        if n_start == n_end:
            start = _anchor(mapping, n_start, len(norm), len(orig))
            if start is None:
                return None
            end = start
        else:
            lines = [mapping.get(line) for line in range(n_start, n_end)]
            if None in lines or lines != list(range(lines[0], lines[0] + len(lines))):
                return None
            start, end = lines[0], lines[-1] + 1
        replacements.append((start, end, new[e_start:e_end]))
    for start, end, lines in reversed(replacements):
        orig[start:end] = lines
    return ''.join(orig)


def rewritten(original: str, normalized: str) -> tuple:
    """(how many, first line number, its text) of the lines of ``original`` that ``normalized`` writes differently."""
    orig = original.splitlines()
    mapping = _line_map(orig, normalized.splitlines())
    kept = set(mapping.values())
    lost = [number for number in range(len(orig)) if number not in kept]
    if not lost:
        return 0, 0, ''
    return len(lost), lost[0] + 1, orig[lost[0]]


def changed_lines(before: str, after: str) -> int:
    """How many lines a diff from ``before`` to ``after`` shows as changed (the larger side of each hunk)."""
    matcher = SequenceMatcher(None, before.splitlines(), after.splitlines(), autojunk=False)
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != 'equal')


def refusal(writer: str, how: str, texts: tuple, where: str, why: str) -> EditError:
    """The error for an edit that would rewrite lines it does not touch: how many, which, what to do.

    ``texts`` is (original, normalized, edited); ``how`` says how ``writer`` writes lines.
    """
    original, normalized, edited = texts
    count, first, content = rewritten(original, normalized)
    return EditError('%s cannot be written onto the file\'s own lines (%s): %s writes %d line(s) of this file '
                     'differently (first: line %d, %r), so writing the edit would change %d line(s) where the '
                     'edit itself changes %d; write those lines %s, or make this change by hand, and run again'
                     % (where, why, writer, count, first, content, changed_lines(original, edited),
                        changed_lines(normalized, edited), how))
