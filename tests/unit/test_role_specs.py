"""Every role's defaults and its meta/argument_specs.yml name the same variables (they cannot drift)."""

from __future__ import annotations

import pytest
import yaml

from testpaths import REPO

ROLES = sorted(path.name for path in (REPO / 'roles').iterdir() if (path / 'defaults' / 'main.yml').exists())


def test_there_are_roles():
    assert ROLES


@pytest.mark.parametrize('role', ROLES)
def test_defaults_and_argument_specs_agree(role):
    defaults = yaml.safe_load((REPO / 'roles' / role / 'defaults' / 'main.yml').read_text()) or {}
    spec = yaml.safe_load((REPO / 'roles' / role / 'meta' / 'argument_specs.yml').read_text())
    options = spec['argument_specs']['main']['options']
    assert sorted(defaults) == sorted(options)
    for name, option in options.items():
        assert name.startswith(role + '_'), '%s: public variables are prefixed with the role name' % name
        assert option.get('description'), '%s has no description' % name
        if 'default' in option and not str(defaults[name]).startswith('{{'):
            assert option['default'] == defaults[name], '%s: the spec says %r, defaults say %r' % (
                name, option['default'], defaults[name])
