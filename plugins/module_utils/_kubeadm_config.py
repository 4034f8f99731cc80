# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: a component's extraArgs and extraVolumes in kubeadm's ClusterConfiguration.

``kubeadm upgrade`` writes the static pod manifests anew from the ClusterConfiguration stored in the
``kubeadm-config`` ConfigMap, so a flag or mount that is only in the manifest is lost at the next
upgrade. kubeadm.k8s.io/v1beta3 keeps extraArgs as a map of strings, v1beta4 (1.31+) as a list of
name/value items; extraVolumes is a list of name, hostPath, mountPath, readOnly, pathType in both.
Pure functions over a parsed document (ruamel.yaml round-trip nodes in practice).
"""

from __future__ import annotations

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._static_pod import (
    _gate_values,
    merge_feature_gates,
    parse_feature_gates,
)
from ansible_collections.kubetrace.tracing.plugins.module_utils._tree import is_list, is_mapping, plain_data

COMPONENTS = ('apiServer', 'controllerManager', 'scheduler', 'etcd')
_FORMS = {'kubeadm.k8s.io/v1beta3': 'map', 'kubeadm.k8s.io/v1beta4': 'list'}


def _form(doc) -> str:
    if not is_mapping(doc) or doc.get('kind') != 'ClusterConfiguration':
        raise EditError('not a kubeadm ClusterConfiguration (kind is %r)'
                        % (doc.get('kind') if is_mapping(doc) else type(doc).__name__))
    form = _FORMS.get(doc.get('apiVersion'))
    if not form:
        raise EditError('ClusterConfiguration apiVersion %r is not one this collection edits; use %s'
                        % (doc.get('apiVersion'), ' or '.join(sorted(_FORMS))))
    return form


def _section(doc, component: str, create: bool, dry_run: bool):
    if component not in COMPONENTS:
        raise EditError('component must be one of %s, not %r' % (', '.join(COMPONENTS), component))
    if component == 'etcd':            # a local etcd's arguments live in etcd.local; external etcd has none
        local = doc.get('etcd', {}).get('local') if is_mapping(doc.get('etcd')) else None
        if not is_mapping(local):
            raise EditError('etcd.local is missing: this cluster runs an external etcd, whose flags kubeadm does '
                            'not write; leave etcd out of what kubeadm-config keeps')
        return local
    section = doc.get(component)
    if section is None and create:
        section = {}
        if not dry_run:
            doc[component] = section
    if section is not None and not is_mapping(section):
        raise EditError('%s is not a mapping' % component)
    if section is not None and create and len(section) == 0 and hasattr(section, 'fa') and not dry_run:
        section.fa.set_block_style()          # kubeadm writes an empty section as {}
    return section


def _args(section, form: str, where: str) -> list:
    """[(name, value)] of extraArgs, in their order."""
    args = section.get('extraArgs')
    if args is None:
        return []
    if form == 'map':
        if not is_mapping(args):
            raise EditError('%s.extraArgs is not a map, as kubeadm.k8s.io/v1beta3 keeps it' % where)
        return [(str(name), str(value)) for name, value in args.items()]
    if not is_list(args) or not all(is_mapping(item) and 'name' in item for item in args):
        raise EditError('%s.extraArgs is not a list of name/value items, as kubeadm.k8s.io/v1beta4 keeps it'
                        % where)
    return [(str(item['name']), str(item.get('value', ''))) for item in args]


def _write_args(section, form: str, old: list, new: list, dry_run: bool) -> bool:
    if old == new:
        return False
    if dry_run:
        return True
    if not new:
        del section['extraArgs']
        return True
    if form == 'map':
        args = section.get('extraArgs')
        if args is None:
            section['extraArgs'] = args = {}
        for name in [name for name in args if name not in dict(new)]:
            del args[name]
        for name, value in new:
            if args.get(name) != value:
                args[name] = value
        return True
    args = section.get('extraArgs')
    if args is None:
        section['extraArgs'] = args = []
    by_name = {str(item['name']): item for item in args}
    for item in [item for item in args if str(item['name']) not in dict(new)]:
        args.remove(item)
    for name, value in new:
        if name in by_name:
            if str(by_name[name].get('value', '')) != value:
                by_name[name]['value'] = value
        else:
            args.append({'name': name, 'value': value})
    return True


def _set_volumes(section, volumes, where: str, dry_run: bool) -> bool:
    changed = False
    items = section.get('extraVolumes')
    if items is not None and not is_list(items):
        raise EditError('%s.extraVolumes is not a list' % where)
    for volume in volumes or []:
        name = volume.get('name')
        if not name:
            raise EditError('%s.extraVolumes: every volume needs a name' % where)
        found = [item for item in (items or []) if is_mapping(item) and item.get('name') == name]
        if volume.get('state', 'present') == 'absent':
            if found:
                changed = True
                if not dry_run:
                    items.remove(found[0])
            continue
        wanted = {'name': name, 'hostPath': volume['host_path'], 'mountPath': volume['mount_path'],
                  'readOnly': bool(volume.get('read_only', True))}
        if volume.get('type'):
            wanted['pathType'] = volume['type']
        if found and all(found[0].get(key) == value for key, value in wanted.items()) \
                and set(found[0]) <= set(wanted):
            continue
        changed = True
        if dry_run:
            continue
        if items is None:
            section['extraVolumes'] = items = []
        if found:
            for key in [key for key in found[0] if key not in wanted]:
                del found[0][key]
            found[0].update(wanted)
        else:
            items.append(wanted)
    if changed and not dry_run and items is not None and len(items) == 0:
        del section['extraVolumes']
    return changed


def change_cluster_configuration(doc, component: str, extra_args=None, feature_gates=None, volumes=None,
                                 dry_run: bool = False) -> bool:
    """Apply extraArgs (name -> value, None removes), feature gates merged into the feature-gates
    argument, and extraVolumes (with state) to one component; True when it changed."""
    form = _form(doc)
    wanted_args = {}
    for name, value in (extra_args or {}).items():
        bare = str(name).lstrip('-')
        if bare == 'feature-gates':
            raise EditError('extra_args.feature-gates: give gates with feature_gates, which merges them')
        wanted_args[bare] = None if value is None else (
            ('true' if value else 'false') if isinstance(value, bool) else str(value))
    gates = _gate_values(feature_gates)
    adding = any(value is not None for value in wanted_args.values()) or \
        any(value is not None for value in gates.values()) or \
        any(volume.get('state', 'present') == 'present' for volume in volumes or [])
    section = _section(doc, component, create=adding, dry_run=dry_run)
    if section is None:
        return False
    old = _args(section, form, component)
    new = [(name, value) for name, value in old if wanted_args.get(name, value) is not None]
    new = [(name, wanted_args.get(name, value)) for name, value in new]
    new += [(name, value) for name, value in wanted_args.items()
            if value is not None and name not in dict(old)]
    if gates:
        current = dict(new).get('feature-gates')
        merged = merge_feature_gates(parse_feature_gates(current, component + '.extraArgs') if current else [],
                                     gates)
        text = ','.join('%s=%s' % gate for gate in merged)
        if current is not None:
            new = [(name, text if name == 'feature-gates' else value) for name, value in new
                   if name != 'feature-gates' or text]
        elif text:
            new.append(('feature-gates', text))
    changed = _write_args(section, form, old, new, dry_run)
    changed |= _set_volumes(section, volumes, component, dry_run)
    if changed and not dry_run and len(section) == 0 and hasattr(section, 'fa'):
        section.fa.set_flow_style()          # an emptied section goes back to kubeadm's {}
    return changed


# ------------------------------------------------------------------------------------- records
# Subjects: ``extraArgs:NAME`` (the argument's value), ``feature_gates:NAME`` (a bool), ``extraVolumes:NAME``
# (the volume item as plain data). See module_utils/_record.py.

def cluster_subjects(extra_args=None, feature_gates=None, volumes=None) -> list:
    subjects = ['extraArgs:%s' % str(name).lstrip('-') for name in extra_args or {}]
    subjects += ['feature_gates:%s' % name for name in feature_gates or {}]
    return subjects + ['extraVolumes:%s' % volume.get('name') for volume in volumes or []]


def observe_cluster(doc, component: str, subjects, absent) -> dict:
    """{subject: its value in the ClusterConfiguration now, or ``absent``}."""
    form = _form(doc)
    section = _section(doc, component, create=False, dry_run=True)
    args = dict(_args(section, form, component)) if section is not None else {}
    volumes = section.get('extraVolumes') if section is not None else None
    values = {}
    for subject in subjects:
        kind, _sep, name = subject.partition(':')
        value = absent
        if kind == 'extraArgs' and name in args:
            value = args[name]
        elif kind == 'feature_gates' and 'feature-gates' in args:
            gates = dict(parse_feature_gates(args['feature-gates'], component + '.extraArgs'))
            if name in gates:
                value = gates[name] in ('1', 't', 'T', 'TRUE', 'true', 'True')
        elif kind == 'extraVolumes':
            found = [item for item in volumes or [] if is_mapping(item) and item.get('name') == name]
            if found:
                value = plain_data(found[0])
        elif kind not in ('extraArgs', 'feature_gates'):
            raise EditError('the record names %r, which is not a kubeadm-config subject; remove its section from '
                            'the record' % subject)
        values[subject] = value
    return values


def restore_cluster(doc, component: str, values: dict, absent, dry_run: bool = False) -> bool:
    """Put every subject of ``values`` back (``absent``: take it out); True when that changes anything."""
    extra_args, gates, changed = {}, {}, False
    for subject, value in values.items():
        kind, _sep, name = subject.partition(':')
        if kind == 'extraArgs':
            extra_args[name] = None if value is absent else value
        elif kind == 'feature_gates':
            gates[name] = None if value is absent else bool(value)
        elif kind == 'extraVolumes':
            section = _section(doc, component, create=value is not absent, dry_run=dry_run)
            items = section.get('extraVolumes') if section is not None else None
            found = [item for item in items or [] if is_mapping(item) and item.get('name') == name]
            if value is absent:
                if found:
                    changed = True
                    if not dry_run:
                        items.remove(found[0])
                        if not items:
                            del section['extraVolumes']
            elif not found or plain_data(found[0]) != value:
                changed = True
                if not dry_run:
                    if items is None:
                        section['extraVolumes'] = items = []
                    if found:
                        found[0].clear()
                        found[0].update(value)
                    else:
                        items.append(value)
    if extra_args or gates:
        changed |= change_cluster_configuration(doc, component, extra_args, gates, None, dry_run)
    return changed
