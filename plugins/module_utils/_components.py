# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: parsers behind component_facts, standard library only.

Each function takes the text a real program printed and returns plain data,
so the node module stays a thin loop of ``run this, parse that``.
"""

from __future__ import annotations

import re

_VERSION = re.compile(r'v?(\d+\.\d+\.\d+)')
_IMAGE = re.compile(r'^\s*-?\s*image:\s*["\']?([^"\'\s#]+)', re.MULTILINE)
_ARGV = re.compile(r'argv\[\]=([^;]*);')


def version_from_output(text: str):
    """The first MAJOR.MINOR.PATCH in a ``--version`` output, without a leading v."""
    match = _VERSION.search(text or '')
    return match.group(1) if match else None


def manifest_images(text: str) -> list:
    """Every image reference in a Pod manifest's text."""
    return _IMAGE.findall(text or '')


def image_name_and_tag(image: str) -> tuple:
    """('kube-apiserver', '1.37.2') from ``registry.k8s.io/kube-apiserver:v1.37.2``; digests dropped."""
    image = image.split('@', 1)[0]
    name, _sep, tag = image.rpartition(':')
    if not name or '/' in tag:
        name, tag = image, ''
    return name.rsplit('/', 1)[-1], version_from_output(tag)


def parse_systemctl_show(text: str) -> dict:
    """``systemctl show`` KEY=VALUE lines as a dict."""
    properties = {}
    for line in (text or '').splitlines():
        key, sep, value = line.partition('=')
        if sep:
            properties[key] = value
    return properties


def unit_argv(properties: dict) -> list:
    """The ExecStart command line of a unit, as systemctl shows it."""
    match = _ARGV.search(properties.get('ExecStart', ''))
    return match.group(1).split() if match else []


def flag_value(words, name: str):
    """Value of ``--name=value`` or ``--name value`` among command-line words (last one wins)."""
    value = None
    words = list(words)
    for pos, word in enumerate(words):
        if word.startswith('--%s=' % name):
            value = word.split('=', 1)[1]
        elif word == '--%s' % name and pos + 1 < len(words):
            value = words[pos + 1]
    return value


def manifest_flag(text: str, name: str):
    """The value of ``--name=value`` among a static pod manifest's command items (the last one), or None."""
    found = re.findall(r'^\s*-\s*["\']?--%s=([^"\'\n]*?)["\']?\s*$' % re.escape(name), text or '', re.MULTILINE)
    return found[-1] if found else None


def environment_words(text: str) -> list:
    """Words of the values in KEY=VALUE environment text (systemd Environment=, kubeadm-flags.env)."""
    words = []
    for chunk in re.findall(r'(?:^|\s)[A-Za-z_][A-Za-z0-9_]*=("[^"]*"|\'[^\']*\'|\S*)', text or ''):
        words.extend(chunk.strip('"\'').split())
    return words


def environment_names(text: str) -> set:
    """Names of the variables that KEY=VALUE environment text (systemd Environment=, an env file) sets."""
    return set(re.findall(r'(?:^|\s|")([A-Za-z_][A-Za-z0-9_]*)=', text or ''))


def parse_ctr_plugins(text: str) -> dict:
    """{'TYPE ID': 'STATUS'} from ``ctr plugins ls``."""
    plugins = {}
    for line in (text or '').splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 3:
            plugins['%s %s' % (fields[0], fields[1])] = fields[-1]
    return plugins


OTLP_PLUGIN = 'io.containerd.tracing.processor.v1 otlp'
TRACING_PLUGIN = 'io.containerd.internal.v1 tracing'


def tracing_plugins(plugins: dict) -> dict:
    """Whether containerd has its tracing plugins, and each one's status."""
    return dict(tracing_plugin=OTLP_PLUGIN in plugins,
                tracing_plugin_status={'otlp': plugins.get(OTLP_PLUGIN),
                                       'tracing': plugins.get(TRACING_PLUGIN)})


def toml_config_version(text: str):
    """The ``version = N`` of a containerd config.toml (1 when absent, as containerd reads it)."""
    match = re.search(r'^\s*version\s*=\s*(\d+)', text or '', re.MULTILINE)
    return int(match.group(1)) if match else 1
