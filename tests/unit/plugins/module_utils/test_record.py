"""The record of what an edit replaced: what is noted, and what an undo puts back."""

from __future__ import annotations

import json

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils import _record
from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._record import ABSENT


def noted(before, after, created=()):
    record = _record.load('', 'state.json')
    _record.remember(record, '/etc/f', before, after, created)
    return record


def test_a_change_notes_the_first_value_and_the_last_written():
    record = noted({'a': 1}, {'a': 2})
    _record.remember(record, '/etc/f', {'a': 2}, {'a': 3})
    assert record['sections']['/etc/f']['entries']['a'] == {'before': {'value': 1}, 'written': {'value': 3}}


def test_nothing_is_noted_for_a_subject_that_keeps_its_value():
    record = noted({'a': 1, 'b': ABSENT}, {'a': 1, 'b': ABSENT})
    assert _record.dump(record) == ''


def test_absent_and_null_are_different_values():
    record = noted({'a': ABSENT}, {'a': None})
    assert record['sections']['/etc/f']['entries']['a'] == {'before': {}, 'written': {'value': None}}


def test_created_containers_are_noted_once():
    record = noted({'t.a': ABSENT}, {'t.a': 1}, ['t'])
    _record.remember(record, '/etc/f', {'t.a': 1}, {'t.a': 2}, ['t'])
    assert record['sections']['/etc/f']['created'] == ['t']


def test_a_created_file_is_noted_with_its_folders():
    record = _record.load('', 'state.json')
    _record.remember(record, '/etc/x/f', {}, {}, created_file=True, created_dirs=['/etc/x'])
    assert record['sections']['/etc/x/f']['created_file'] is True
    assert record['sections']['/etc/x/f']['created_dirs'] == ['/etc/x']


@pytest.mark.parametrize('now, restored, kept', [
    (2, {'a': 1}, []),            # as written: put back
    (1, {}, []),                  # already back
    (7, {}, ['a']),               # someone else's value: left
    (ABSENT, {}, ['a']),          # someone removed it: left
])
def test_an_undo_puts_back_only_what_is_still_as_written(now, restored, kept):
    record = noted({'a': 1}, {'a': 2})
    assert _record.plan_restore(record['sections']['/etc/f'], {'a': now}) == (restored, kept)


def test_an_undo_of_an_added_key_takes_it_out():
    record = noted({'a': ABSENT}, {'a': 2})
    assert _record.plan_restore(record['sections']['/etc/f'], {'a': 2}) == ({'a': ABSENT}, [])


def test_a_number_and_a_boolean_are_not_the_same_value():
    record = noted({'a': 1}, {'a': True})
    assert _record.plan_restore(record['sections']['/etc/f'], {'a': 1}) == ({}, [])
    assert _record.plan_restore(record['sections']['/etc/f'], {'a': True}) == ({'a': 1}, [])


def test_a_record_survives_its_json():
    record = noted({'a': ABSENT, 'b': 'x'}, {'a': {'k': [1]}, 'b': 'y'}, ['c'])
    again = _record.load(_record.dump(record), 'state.json')
    assert again == json.loads(json.dumps(record))
    _record.forget(again, '/etc/f')
    assert _record.dump(again) == ''


@pytest.mark.parametrize('text, words', [
    ('{not json', 'is not JSON'),
    ('{"format": 9, "sections": {}}', 'is not a kubetrace record of format 1'),
    ('[]', 'is not a kubetrace record'),
])
def test_a_record_that_is_not_ours_is_refused(text, words):
    with pytest.raises(EditError, match=words):
        _record.load(text, '/var/lib/kubetrace/state/kubelet.json')
