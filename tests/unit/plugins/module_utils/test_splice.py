from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils._splice import splice


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
