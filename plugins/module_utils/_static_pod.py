# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: command-line flags, feature gates and hostPath mounts of a static pod.

Pure functions over a parsed Pod manifest (any mapping/list document, in
practice ruamel.yaml's round-trip nodes). New flags, volumes and mounts go in
name order when the manifest already keeps that order (kubeadm does),
otherwise at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import (
    Style,
    Key,
    assign,
    is_list,
    is_mapping,
    ordered_like,
    plain_data,
    set_value,
    unset_value,
)

HOST_PATH_TYPES = ('', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket',
                   'CharDevice', 'BlockDevice')
_GATE = re.compile(r'^([A-Za-z][A-Za-z0-9]*)=(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$')
_TRUE_WORDS = ('1', 't', 'T', 'TRUE', 'true', 'True')
_NAME = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')


@dataclass(frozen=True)
class HostPathMount:
    name: str
    host_path: str = ''
    mount_path: str = ''
    read_only: bool = True
    type: Optional[str] = None
    state: str = 'present'

    def check(self) -> None:
        where = 'host_path_mounts[name=%s]' % self.name
        if not isinstance(self.name, str) or not _NAME.match(self.name) or len(self.name) > 63:
            raise EditError('host_path_mounts: name %r is not a valid volume name; use lower-case '
                            'letters, digits and "-" (at most 63)' % (self.name,))
        if self.state not in ('present', 'absent'):
            raise EditError('%s: state must be present or absent, not %r' % (where, self.state))
        if self.state == 'absent':
            return
        for field in ('host_path', 'mount_path'):
            value = getattr(self, field)
            if not isinstance(value, str) or not value.startswith('/'):
                raise EditError('%s: %s must be an absolute path, not %r' % (where, field, value))
        if self.type is not None and self.type not in HOST_PATH_TYPES:
            raise EditError('%s: type %r is not a hostPath type; use one of %s'
                            % (where, self.type, ', '.join(t for t in HOST_PATH_TYPES if t)))

    def volume(self) -> dict:
        host_path = {'path': self.host_path}
        if self.type:
            host_path['type'] = self.type
        return {'hostPath': host_path, 'name': self.name}

    def volume_mount(self) -> dict:
        mount = {'mountPath': self.mount_path, 'name': self.name}
        if self.read_only:
            mount['readOnly'] = True
        return mount


def flag_text(name: str, value) -> str:
    """The command-line item for ``--name=value``."""
    if isinstance(value, bool):
        value = 'true' if value else 'false'
    elif isinstance(value, (int, float)):
        value = str(value)
    elif not isinstance(value, str):
        raise EditError('flags.%s must be a string, number or boolean (or null to remove it), not %s'
                        % (name, type(value).__name__))
    return '--%s=%s' % (name, value)


def _flag_name(item) -> Optional[str]:
    if isinstance(item, str) and item.startswith('--'):
        return item[2:].split('=', 1)[0]
    return None


def find_container(doc, container: str):
    """The container mapping named ``container`` in a Pod manifest."""
    if not is_mapping(doc) or doc.get('kind') != 'Pod':
        kind = doc.get('kind') if is_mapping(doc) else None
        raise EditError('is not a Pod manifest (kind: %s); point path at a static pod manifest' % (kind,))
    spec = doc.get('spec')
    containers = spec.get('containers') if is_mapping(spec) else None
    if not is_list(containers):
        raise EditError('spec.containers is missing or not a list; this is not a usable Pod manifest')
    named = [item for item in containers if is_mapping(item) and item.get('name') == container]
    if len(named) != 1:
        names = ', '.join(str(item.get('name')) for item in containers if is_mapping(item))
        raise EditError('spec.containers has %s container named %r (containers: %s); set container '
                        'to one of them' % ('no' if not named else 'more than one', container, names))
    return named[0]


def _argument_list(spec, container: str):
    for field in ('command', 'args'):
        items = spec.get(field)
        if is_list(items) and any(_flag_name(item) for item in items):
            return field, items
    for field in ('command', 'args'):
        if is_list(spec.get(field)):
            return field, spec[field]
    raise EditError('container %r has neither command nor args; cannot place flags' % container)


def _is_sorted(names) -> bool:
    return all(a <= b for a, b in zip(names, names[1:]))


def _insert_position(items, first: int, name: str, key) -> int:
    """Where a new item named ``name`` goes among ``items[first:]``: name order if kept, else last."""
    names = [key(item) for item in items[first:]]
    if None in names or not _is_sorted(names):
        return len(items)
    for offset, existing in enumerate(names):
        if name < existing:
            return first + offset
    return len(items)


def parse_feature_gates(value: str, where: str) -> list:
    """[(gate, text)] from ``A=true,B=false``; EditError on anything else."""
    gates = []
    for entry in value.split(','):
        match = _GATE.match(entry.strip())
        if not match:
            raise EditError('%s: --feature-gates=%s is malformed at %r; every gate must be Name=true '
                            'or Name=false, separated by commas; fix the manifest and run again'
                            % (where, value, entry))
        gates.append((match.group(1), match.group(2)))
    names = [name for name, _text in gates]
    for name in names:
        if names.count(name) > 1:
            raise EditError('%s: --feature-gates names %s twice; remove one and run again' % (where, name))
    return gates


def merge_feature_gates(current: list, wanted: dict) -> list:
    """``current`` gates with ``wanted`` applied in place; new gates appended; None removes."""
    merged = []
    for name, text in current:
        if name not in wanted:
            merged.append((name, text))
        elif wanted[name] is not None:
            same = (text in _TRUE_WORDS) == wanted[name]
            merged.append((name, text if same else ('true' if wanted[name] else 'false')))
    known = {name for name, _text in current}
    for name, value in wanted.items():
        if name not in known and value is not None:
            merged.append((name, 'true' if value else 'false'))
    return merged


def _gate_values(feature_gates: dict) -> dict:
    wanted = {}
    for name, value in (feature_gates or {}).items():
        if not isinstance(name, str) or not re.match(r'^[A-Za-z][A-Za-z0-9]*$', name):
            raise EditError('feature_gates: %r is not a feature gate name' % (name,))
        if isinstance(value, str) and value.lower() in ('true', 'false'):
            value = value.lower() == 'true'
        if value is not None and not isinstance(value, bool):
            raise EditError('feature_gates.%s must be true, false or null (to remove it), not %r'
                            % (name, value))
        wanted[name] = value
    return wanted


def _flag_values(flags: dict, feature_gates: dict) -> dict:
    wanted = {}
    for name, value in (flags or {}).items():
        bare = str(name).lstrip('-')
        if not bare or '=' in bare:
            raise EditError('flags: %r is not a flag name; give it without a value, e.g. tracing-config-file'
                            % (name,))
        if bare == 'feature-gates':
            raise EditError('flags.feature-gates: set gates with feature_gates, which merges them '
                            'into the existing flag')
        wanted[bare] = None if value is None else flag_text(bare, value)
    if feature_gates:
        wanted['feature-gates'] = _gate_values(feature_gates)
    return wanted


def _set_flags(items, wanted: dict, where: str, style: Style, dry_run: bool) -> bool:
    changed = False
    first = next((pos for pos, item in enumerate(items) if _flag_name(item)), len(items))
    for name, value in wanted.items():
        positions = [pos for pos, item in enumerate(items) if _flag_name(item) == name]
        if len(positions) > 1:
            raise EditError('%s: --%s appears %d times; remove the extra ones and run again'
                            % (where, name, len(positions)))
        if name == 'feature-gates':
            current = items[positions[0]].partition('=')[2] if positions else None
            gates = merge_feature_gates(parse_feature_gates(current, where) if current else [], value)
            value = '--feature-gates=' + ','.join('%s=%s' % gate for gate in gates) if gates else None
        if positions and value is None:
            changed = True
            if not dry_run:
                del items[positions[0]]
        elif positions and items[positions[0]] != value:
            changed = True
            if not dry_run:
                items[positions[0]] = style.keep_form(items[positions[0]], value)
        elif not positions and value is not None:
            changed = True
            if not dry_run:
                items.insert(_insert_position(items, first, name, _flag_name), value)
    return changed


def _place(items, name: str, wanted, where: str, style: Style, dry_run: bool) -> bool:
    """Make the item of ``items`` named ``name`` equal ``wanted`` (None removes it)."""
    positions = [pos for pos, item in enumerate(items) if is_mapping(item) and item.get('name') == name]
    if len(positions) > 1:
        raise EditError('%s has %d entries named %s; remove the extra ones and run again'
                        % (where, len(positions), name))
    if wanted is None:
        if positions and not dry_run:
            del items[positions[0]]
        return bool(positions)
    if positions:
        return assign(items, positions[0], wanted, '%s[name=%s]' % (where, name), style, dry_run)
    if not dry_run:
        item = style.new_mapping()
        for key, value in ordered_like(wanted, items).items():
            if is_mapping(value):
                nested = style.new_mapping()
                nested.update(value)
                value = nested
            item[key] = value
        items.insert(_insert_position(items, 0, name, lambda entry: entry.get('name')
                                      if is_mapping(entry) else None), item)
    return True


def _list_at(parent, field: str, where: str, style: Style, dry_run: bool, create: bool):
    items = parent.get(field)
    if items is None:
        if not create:
            return None
        items = []
        if not dry_run:
            parent[field] = items
        return items
    if not is_list(items):
        raise EditError('%s.%s is not a list' % (where, field))
    return items


def _set_mounts(doc, spec, container: str, mounts, style: Style, dry_run: bool) -> bool:
    changed = False
    where = 'spec.containers[name=%s]' % container
    for mount in mounts:
        mount.check()
        present = mount.state == 'present'
        volumes = _list_at(doc['spec'], 'volumes', 'spec', style, dry_run, create=present)
        mounted = _list_at(spec, 'volumeMounts', where, style, dry_run, create=present)
        if present:
            for item in mounted:
                if is_mapping(item) and item.get('mountPath') == mount.mount_path \
                        and item.get('name') != mount.name:
                    raise EditError('%s.volumeMounts: %s is already mounted from volume %s; pick another '
                                    'mount_path for %s' % (where, mount.mount_path, item.get('name'), mount.name))
        if volumes is not None:
            changed |= _place(volumes, mount.name, mount.volume() if present else None,
                              'spec.volumes', style, dry_run)
        if mounted is not None:
            changed |= _place(mounted, mount.name, mount.volume_mount() if present else None,
                              where + '.volumeMounts', style, dry_run)
    return changed


def _set_annotations(doc, annotations: dict, style: Style, dry_run: bool) -> bool:
    """Pod annotations: a string sets one, None removes it."""
    changed = False
    for name, value in (annotations or {}).items():
        if not isinstance(name, str) or not name:
            raise EditError('annotations: %r is not an annotation name' % (name,))
        segments = (Key('metadata'), Key('annotations'), Key(name))
        if value is None:
            changed |= unset_value(doc, segments, style, dry_run)
        elif not isinstance(value, str):
            raise EditError('annotations.%s: an annotation value is a string, not %r; quote it' % (name, value))
        else:
            changed |= set_value(doc, segments, value, style, dry_run)
    return changed


def change_pod(doc, container: str, flags=None, feature_gates=None, mounts=(),
               style: Style = Style(), dry_run: bool = False, annotations=None) -> bool:
    """Apply flags, feature gates, hostPath mounts to ``container`` and pod annotations; True when it changed."""
    spec = find_container(doc, container)
    changed = _set_annotations(doc, annotations, style, dry_run)
    wanted = _flag_values(flags, feature_gates)
    if wanted:
        field, items = _argument_list(spec, container)
        changed |= _set_flags(items, wanted, 'spec.containers[name=%s].%s' % (container, field),
                              style, dry_run)
    changed |= _set_mounts(doc, spec, container, mounts, style, dry_run)
    return changed


# ------------------------------------------------------------------------------------- records
# What an edit replaced, per subject: ``flags:NAME`` (the flag's value text), ``feature_gates:NAME`` (a bool),
# ``host_path_mounts:NAME`` (the volume and the container's volumeMount, as plain data) and
# ``annotations:NAME`` (a string). See module_utils/_record.py.

def pod_subjects(flags=None, feature_gates=None, mounts=(), annotations=None) -> list:
    """The subjects an edit with these arguments changes."""
    subjects = ['flags:%s' % str(name).lstrip('-') for name in flags or {}]
    subjects += ['feature_gates:%s' % name for name in feature_gates or {}]
    subjects += ['host_path_mounts:%s' % mount.name for mount in mounts]
    subjects += ['annotations:%s' % name for name in annotations or {}]
    return subjects


def _named(items, name: str):
    found = [item for item in items or [] if is_mapping(item) and item.get('name') == name]
    return plain_data(found[0]) if found else None


def observe_pod(doc, container: str, subjects, absent):
    """{subject: its value in the manifest now, or ``absent``}."""
    spec = find_container(doc, container)
    field_items = None
    values = {}
    for subject in subjects:
        kind, _sep, name = subject.partition(':')
        value = absent
        if kind in ('flags', 'feature_gates'):
            if field_items is None:
                field_items = _argument_list(spec, container)[1]
            flag = 'feature-gates' if kind == 'feature_gates' else name
            items = [item for item in field_items if _flag_name(item) == flag]
            if items and kind == 'flags':
                value = str(items[0]).partition('=')[2]
            elif items:
                gates = dict(parse_feature_gates(str(items[0]).partition('=')[2], container))
                if name in gates:
                    value = gates[name] in _TRUE_WORDS
        elif kind == 'host_path_mounts':
            volume, mount = _named(doc['spec'].get('volumes'), name), _named(spec.get('volumeMounts'), name)
            if volume is not None or mount is not None:
                value = {'volume': volume, 'volume_mount': mount}
        elif kind == 'annotations':
            metadata = doc.get('metadata')
            annotations = metadata.get('annotations') if is_mapping(metadata) else None
            if is_mapping(annotations) and name in annotations:
                value = str(annotations[name])
        else:
            raise EditError('the record names %r, which is not a static_pod subject; it was not written by this '
                            'collection: remove its section from the record' % subject)
        values[subject] = value
    return values


def pod_created_containers(doc, container: str, mounts=(), annotations=None) -> list:
    """Key paths of the mappings and lists an edit will create in the manifest."""
    created = []
    metadata = doc.get('metadata')
    if any(value is not None for value in (annotations or {}).values()):
        if not is_mapping(metadata):
            created.append('metadata')
        elif metadata.get('annotations') is None:
            created.append('metadata.annotations')
    if any(mount.state == 'present' for mount in mounts):
        spec = find_container(doc, container)
        if doc['spec'].get('volumes') is None:
            created.append('spec.volumes')
        if spec.get('volumeMounts') is None:
            created.append('spec.containers[name=%s].volumeMounts' % container)
    return created


def restore_pod(doc, container: str, values: dict, absent, style: Style = Style(), dry_run: bool = False) -> bool:
    """Put every subject of ``values`` back (``absent``: take it out); True when that changes anything."""
    spec = find_container(doc, container)
    flags, gates, annotations, changed = {}, {}, {}, False
    for subject, value in values.items():
        kind, _sep, name = subject.partition(':')
        if kind == 'flags':
            flags[name] = None if value is absent else value
        elif kind == 'feature_gates':
            gates[name] = None if value is absent else bool(value)
        elif kind == 'annotations':
            annotations[name] = None if value is absent else value
        elif kind == 'host_path_mounts':
            volume = mount = None
            if value is not absent:
                volume, mount = value.get('volume'), value.get('volume_mount')
            volumes = _list_at(doc['spec'], 'volumes', 'spec', style, dry_run, create=volume is not None)
            mounted = _list_at(spec, 'volumeMounts', 'spec.containers[name=%s]' % container, style, dry_run,
                               create=mount is not None)
            if volumes is not None:
                changed |= _place(volumes, name, volume, 'spec.volumes', style, dry_run)
            if mounted is not None:
                changed |= _place(mounted, name, mount, 'spec.containers[name=%s].volumeMounts' % container,
                                  style, dry_run)
    changed |= _set_annotations(doc, annotations, style, dry_run)
    wanted = {name: None if value is None else flag_text(name, value) for name, value in flags.items()}
    if gates:
        wanted['feature-gates'] = gates
    if wanted:
        field, items = _argument_list(spec, container)
        changed |= _set_flags(items, wanted, 'spec.containers[name=%s].%s' % (container, field), style, dry_run)
    return changed
