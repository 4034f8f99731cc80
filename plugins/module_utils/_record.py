# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: what an edit replaced, so that undoing it gives back what was there.

A record is one JSON file per component on the node (``/var/lib/kubetrace/state/<component>.json``)
with a section per edited target (a file, or a ConfigMap key). Each section holds, for every subject an
edit changed (a key path, a flag, a gate, a mount, an annotation), the value it had before the first
change (``before``; no ``value`` means it was absent) and the value this collection wrote last
(``written``); the containers it created (a mapping, a TOML table); whether it created the file and which
folders it made for it.

Undo compares what is there now with ``written``: the same means nobody changed it since, so ``before``
comes back; the same as ``before`` means it is already back; anything else was changed by someone else
and is left as it is (and said so). Pure functions over plain data.
"""

from __future__ import annotations

import json

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import same

FORMAT = 1


class _Absent:
    """The value of a subject that is not there (distinct from null, which YAML can hold)."""

    def __repr__(self) -> str:
        return 'ABSENT'


ABSENT = _Absent()


def encode(value) -> dict:
    return {} if value is ABSENT else {'value': value}


def decode(entry: dict):
    return entry['value'] if isinstance(entry, dict) and 'value' in entry else ABSENT


def equal(left, right) -> bool:
    if left is ABSENT or right is ABSENT:
        return left is right
    return same(left, right)


def load(text, where: str) -> dict:
    """The record in ``text`` (empty when there is none); EditError when it is not one of ours."""
    if not text:
        return {'format': FORMAT, 'sections': {}}
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise EditError('the record %s is not JSON (%s); it holds what kubetrace replaced, so it is not for '
                        'editing by hand: put back the copy you changed, or remove it to forget what was recorded'
                        % (where, exc)) from None
    if not isinstance(record, dict) or record.get('format') != FORMAT or not isinstance(record.get('sections'), dict):
        raise EditError('the record %s is not a kubetrace record of format %d; remove it to forget what was '
                        'recorded, or restore it from its backup' % (where, FORMAT))
    return record


def dump(record: dict) -> str:
    """The record as text; empty when it holds no section (the file is then removed)."""
    if not record['sections']:
        return ''
    return json.dumps(record, indent=2, sort_keys=True) + '\n'


def section(record: dict, target: str) -> dict:
    """The section of ``target``, created empty when missing."""
    return record['sections'].setdefault(target, {'entries': {}, 'created': [], 'created_file': False,
                                                  'created_dirs': []})


def remember(record: dict, target: str, before: dict, after: dict, created=(), created_file=False,
             created_dirs=()) -> None:
    """Note, for each subject that changes from ``before`` to ``after``, what it had at the first change
    and what was written now. A subject that does not change is not noted."""
    changed = [subject for subject in after if not equal(before.get(subject, ABSENT), after[subject])]
    if not changed and not created_file:
        return
    part = section(record, target)
    if created_file and not part['entries'] and not part['created']:
        part['created_file'] = True
        part['created_dirs'] = list(created_dirs)
    for subject in changed:
        entry = part['entries'].get(subject)
        if entry is None:
            part['entries'][subject] = {'before': encode(before.get(subject, ABSENT)),
                                        'written': encode(after[subject])}
        else:
            entry['written'] = encode(after[subject])
    for container in created:
        if container not in part['created']:
            part['created'].append(container)


def plan_restore(part: dict, now: dict) -> tuple:
    """({subject: value to put back}, [subjects someone else changed, left as they are]).

    ``now`` holds the current value of every subject of the section."""
    restore, kept = {}, []
    for subject, entry in sorted(part['entries'].items()):
        current = now.get(subject, ABSENT)
        before, written = decode(entry['before']), decode(entry['written'])
        if equal(current, before):
            continue
        if equal(current, written):
            restore[subject] = before
        else:
            kept.append(subject)
    return restore, kept


def forget(record: dict, target: str) -> None:
    record['sections'].pop(target, None)
