from __future__ import annotations

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils._splice import changed_lines, rewritten, splice


def test_faithful_rendering_is_used_as_is():
    assert splice('a\nb\n', 'a\nb\n', 'a\nc\n') == 'a\nc\n'


def test_only_the_edit_reaches_the_original():
    original = 'a: null\nb: 1\nc:  2\n'
    normalized = 'a:\nb: 1\nc: 2\n'
    edited = 'a:\nb: 5\nc: 2\nd: 3\n'
    assert splice(original, normalized, edited) == 'a: null\nb: 5\nc:  2\nd: 3\n'


def test_insertion_at_the_top_and_deletion():
    original = 'x:  1\ny: 2\nz: 3\n'
    normalized = 'x: 1\ny: 2\nz: 3\n'
    assert splice(original, normalized, 'w: 0\nx: 1\nz: 3\n') == 'w: 0\nx:  1\nz: 3\n'


def test_an_edit_inside_a_normalised_line_cannot_be_placed():
    original = 'a:  1\n'
    normalized = 'a: 1\n'
    assert splice(original, normalized, 'a: 2\n') is None


@pytest.mark.parametrize('original, normalized, expected', [
    ('a: 1\nb: 2\n', 'a: 1\nb: 2\n', (0, 0, '')),
    ('a:  1\nb: 2\nc: ~\n', 'a: 1\nb: 2\nc:\n', (2, 1, 'a:  1')),
])
def test_rewritten_counts_the_lines_the_parser_writes_differently(original, normalized, expected):
    assert rewritten(original, normalized) == expected


@pytest.mark.parametrize('before, after, count', [
    ('a\nb\n', 'a\nb\n', 0), ('a\nb\n', 'a\nc\n', 1), ('a\n', 'a\nb\nc\n', 2), ('a\nb\nc\n', 'x\n', 3),
])
def test_changed_lines(before, after, count):
    assert changed_lines(before, after) == count
