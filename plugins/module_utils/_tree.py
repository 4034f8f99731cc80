# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: set and unset key paths in a parsed document.

Works on anything shaped like mappings and lists (ruamel.yaml round-trip
nodes, tomlkit containers). Every function takes ``dry_run``: with it, the
document is only read, so callers can learn whether anything would change
before they pay for serialising it.

Types are kept: a key that holds a float keeps a float (1 becomes 1.0), a
quoted string stays quoted. A value that cannot take the existing type, or
a mapping put where a scalar was, raises EditError.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableSequence

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._keypath import (
    Index,
    Key,
    Select,
    parse,
    render,
)

_TRUE = ('true', 'yes', 'on')
_FALSE = ('false', 'no', 'off')


class Style:
    """How a document kind makes new containers and keeps a scalar's form.

    The YAML and TOML editors subclass it; the defaults suit plain Python data.
    """

    def new_mapping(self):
        return {}

    def plain(self, value):
        """The value as plain Python data, for comparison."""
        return value

    def keep_form(self, old, new):
        """``new`` dressed the way ``old`` was written (quotes, float format)."""
        return new

    def convert(self, value):
        """A new value (mapping, list or scalar) ready to put in the document."""
        return value

    def put(self, container, name, value):
        """Put a new key into ``container`` (TOML quotes and indents it the way the file does)."""
        container[name] = value


def is_mapping(value) -> bool:
    return isinstance(value, Mapping)


def is_list(value) -> bool:
    return isinstance(value, MutableSequence) and not isinstance(value, (str, bytes))


def _kind(value) -> str:
    if is_mapping(value):
        return 'a mapping'
    if is_list(value):
        return 'a list'
    if isinstance(value, bool):
        return 'a boolean'
    if isinstance(value, int):
        return 'an integer'
    if isinstance(value, float):
        return 'a float'
    if isinstance(value, str):
        return 'a string'
    if value is None:
        return 'null'
    return type(value).__name__


def coerce(old, new, where: str):
    """``new`` converted to the scalar type of ``old``; EditError when it cannot be."""
    if old is None or new is None:
        return new
    if isinstance(old, bool):
        if isinstance(new, bool):
            return new
        if isinstance(new, str) and new.strip().lower() in _TRUE + _FALSE:
            return new.strip().lower() in _TRUE
    elif isinstance(old, int):
        if isinstance(new, int) and not isinstance(new, bool):
            return new
        if isinstance(new, float) and new.is_integer():
            return int(new)
        if isinstance(new, str):
            try:
                return int(new.strip())
            except ValueError:
                pass
    elif isinstance(old, float):
        if isinstance(new, (int, float)) and not isinstance(new, bool):
            return float(new)
        if isinstance(new, str):
            try:
                return float(new.strip())
            except ValueError:
                pass
    elif isinstance(old, str):
        if isinstance(new, str):
            return new
        if isinstance(new, (int, float)) and not isinstance(new, bool):
            return str(new)
    else:
        return new
    raise EditError('%s holds %s (%r); %r is %s and cannot be written as one: give %s'
                    % (where, _kind(old), old, new, _kind(new), _kind(old)))


def plain_data(value):
    """``value`` as plain Python data: parsers' node types (ruamel.yaml's, tomlkit's) and Ansible's tagged and
    templated types become dict, list, str, int, float, bool; the emitters and records only know those."""
    if hasattr(value, 'unwrap'):                     # tomlkit items
        value = value.unwrap()
    if isinstance(value, Mapping):
        return {plain_data(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    for kind in (bool, str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def same(left, right, plain=None) -> bool:
    """Equal as data, with booleans never equal to numbers; ``plain`` turns a scalar into comparable data."""
    if is_mapping(left) and is_mapping(right):
        return (len(left) == len(right)
                and all(key in right and same(left[key], right[key], plain) for key in left))
    if is_list(left) and is_list(right):
        return len(left) == len(right) and all(same(a, b, plain) for a, b in zip(left, right))
    if plain is not None:
        left, right = plain(left), plain(right)
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return isinstance(left, float) == isinstance(right, float) and left == right
    return left == right


def first_difference(left, right, segments: tuple = ()):
    """The key path (segments) of the first place where ``left`` and ``right`` differ; None if nowhere."""
    if is_mapping(left) and is_mapping(right):
        for key in list(left) + [key for key in right if key not in left]:
            here = segments + (Key(str(key)),)
            if key not in left or key not in right:
                return here
            found = first_difference(left[key], right[key], here)
            if found is not None:
                return found
        return None
    if is_list(left) and is_list(right):
        for pos in range(max(len(left), len(right))):
            here = segments + (Index(pos),)
            if pos >= len(left) or pos >= len(right):
                return here
            found = first_difference(left[pos], right[pos], here)
            if found is not None:
                return found
        return None
    return None if same(left, right) else segments


def ordered_like(value, siblings):
    """``value`` (a new list item) with its keys, and those of its mappings, in the order its siblings use.

    kubeadm writes a volume as ``- hostPath:`` then ``name:``, other manifests ``- name:`` first; a new item
    reads like the ones around it. Keys no sibling has keep their order, after the others.
    """
    if not is_mapping(value):
        return value
    rank = {}
    for sibling in siblings:
        if is_mapping(sibling):
            for key in sibling:
                rank.setdefault(key, len(rank))
    ordered = {}
    for key in sorted(value, key=lambda key: rank.get(key, len(rank))):
        ordered[key] = ordered_like(value[key], [sibling[key] for sibling in siblings
                                                 if is_mapping(sibling) and key in sibling])
    return ordered


def _select(items, segment: Select, where: str, style: Style) -> int:
    matches = [pos for pos, item in enumerate(items)
               if is_mapping(item) and segment.field in item
               and str(style.plain(item[segment.field])) == segment.value]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        present = sorted(str(style.plain(item[segment.field])) for item in items
                         if is_mapping(item) and segment.field in item)
        raise EditError('%s: no item has %s=%s (items have %s: %s); fix the selector'
                        % (where, segment.field, segment.value, segment.field,
                           ', '.join(present) or 'none'))
    raise EditError('%s: %d items have %s=%s; the selector must pick exactly one, '
                    'use [N] instead' % (where, len(matches), segment.field, segment.value))


def _child(container, segment, walked, style: Style, create: bool):
    """The key or index of ``segment`` in ``container``; None when absent and not created."""
    where = render(walked)
    if isinstance(segment, Key):
        if not is_mapping(container):
            if is_list(container):
                raise EditError('%s is a list; index it with [N] or [field=value] before .%s'
                                % (where, segment.name))
            raise EditError('key path crosses a scalar: %s holds %s (%r), so it has no key %r; '
                            'unset %s first if it should become a mapping'
                            % (where, _kind(container), container, segment.name, where))
        return segment.name if segment.name in container else None
    if not is_list(container):
        if is_mapping(container):
            raise EditError('%s is a mapping; address its keys with .key, not %s' % (where, segment))
        raise EditError('key path crosses a scalar: %s holds %s (%r), not a list'
                        % (where, _kind(container), container))
    if isinstance(segment, Select):
        return _select(container, segment, where + str(segment), style)
    size = len(container)
    if -size <= segment.index < size:
        return segment.index % size
    if create and segment.index == size:
        return None
    raise EditError('%s has %d items; index %d is out of range%s'
                    % (where, size, segment.index, ' (use %d to append)' % size if create else ''))


def _walk(doc, segments, style: Style, create: bool, dry_run: bool):
    """The container that holds the last segment; None when a missing parent is not created."""
    container = doc
    for depth, segment in enumerate(segments[:-1]):
        key = _child(container, segment, segments[:depth], style, create)
        if key is None:
            if not create or dry_run:
                return None
            if isinstance(segment, Index):
                container.append(style.new_mapping())
                key = len(container) - 1
            else:
                style.put(container, segment.name, style.new_mapping())
                key = segment.name
        container = container[key]
    return container


def assign(container, key, new, where: str, style: Style, dry_run: bool = False) -> bool:
    """Make ``container[key]`` equal ``new`` with the fewest changes; True when it changed."""
    old = container[key]
    if is_mapping(old) and is_mapping(new):
        changed = False
        for name in [name for name in old if name not in new]:
            changed = True
            if not dry_run:
                del old[name]
        for name, value in new.items():
            if name in old:
                changed |= assign(old, name, value, '%s.%s' % (where, name), style, dry_run)
            else:
                changed = True
                if not dry_run:
                    style.put(old, name, style.convert(value))
        return changed
    if is_list(old) and is_list(new):
        changed = len(old) != len(new)
        for pos, value in enumerate(new[:len(old)]):
            changed |= assign(old, pos, value, '%s[%d]' % (where, pos), style, dry_run)
        if not dry_run:
            del old[len(new):]
            for value in new[len(old):]:
                old.append(style.convert(ordered_like(value, old)))
        return changed
    if is_mapping(old) or is_list(old) or is_mapping(new) or is_list(new):
        if old is None:
            if not dry_run:
                container[key] = style.convert(new)
            return True
        raise EditError('%s holds %s; refusing to replace it with %s: unset %s first if that '
                        'is what you want' % (where, _kind(old), _kind(new), where))
    wanted = coerce(style.plain(old), new, where)
    if same(style.plain(old), wanted):
        return False
    if not dry_run:
        container[key] = style.keep_form(old, wanted)
    return True


def set_value(doc, segments, value, style: Style, dry_run: bool = False) -> bool:
    """Set the key path to ``value``, creating missing mappings; True when it changed."""
    parent = _walk(doc, segments, style, create=True, dry_run=dry_run)
    if parent is None:
        return True
    last = segments[-1]
    key = _child(parent, last, segments[:-1], style, create=True)
    if key is None:
        if not dry_run:
            if isinstance(last, Index):
                parent.append(style.convert(ordered_like(value, parent)))
            else:
                style.put(parent, last.name, style.convert(value))
        return True
    return assign(parent, key, value, render(segments), style, dry_run)


def unset_value(doc, segments, style: Style, dry_run: bool = False) -> bool:
    """Remove the key path; True when it was there."""
    parent = _walk(doc, segments, style, create=False, dry_run=dry_run)
    if parent is None:
        return False
    key = _child(parent, segments[-1], segments[:-1], style, create=False)
    if key is None:
        return False
    if not dry_run:
        del parent[key]
    return True


def get_value(doc, segments, style: Style, default=None):
    """The value at the key path, or ``default`` when a part of it is absent."""
    parent = _walk(doc, segments, style, create=False, dry_run=True)
    if parent is None:
        return default
    key = _child(parent, segments[-1], segments[:-1], style, create=False)
    return default if key is None else parent[key]


def compile_paths(set_values: dict, unset: list) -> tuple:
    """Parsed (set, unset) key paths; EditError when a path is in both or does not parse."""
    both = sorted(set(set_values or {}) & set(unset or []))
    if both:
        raise EditError('%s is in both set and unset; keep it in one of them' % ', '.join(both))
    return ([(parse(path), value) for path, value in (set_values or {}).items()],
            [parse(path) for path in unset or []])


def apply_paths(doc, compiled: tuple, style: Style, dry_run: bool = False) -> bool:
    """Apply compiled set and unset key paths; True when anything changed."""
    set_values, unset = compiled
    changed = False
    for segments in unset:
        changed |= unset_value(doc, segments, style, dry_run)
    for segments, value in set_values:
        changed |= set_value(doc, segments, value, style, dry_run)
    return changed
