# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the backend's address as each component writes it.

kube-apiserver, the kubelet and etcd take ``host:port`` (gRPC, no scheme), containerd's TOML keys too,
and its OTEL_* variables a URL. An IPv6 address goes in brackets in both (``[fd00::5]:4317``); anything
that is not an address or a host name is refused with what to write instead.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError

_LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')


def _host(host, variable: str) -> str:
    text = str(host if host is not None else '').strip()
    bare = text[1:-1] if text.startswith('[') and text.endswith(']') else text
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        address = None
    if address is not None:
        return '[%s]' % address.compressed if address.version == 6 else address.compressed
    if text and len(text) <= 253 and all(_LABEL.match(label) for label in text.rstrip('.').split('.')):
        return text
    hint = ''
    if '://' in text:
        hint = ' without the scheme (the components add what they need)'
    elif text.count(':') == 1 and not text.startswith('['):
        hint = ' without the port (the port is a variable of its own)'
    elif '/' in text:
        hint = ' without a path'
    raise EditError('%s must be a host name, an IPv4 address or an IPv6 address, not %r; write it%s'
                    % (variable, host, hint or ' as 10.0.0.5, fd00::5 or jaeger.example.org'))


def _port(port, variable: str) -> int:
    if isinstance(port, bool) or not re.match(r'^\s*\d+\s*$', str(port)) or not 0 < int(port) < 65536:
        raise EditError('%s must be a port from 1 to 65535, not %r' % (variable, port))
    return int(port)


def host_port(host, port, variable: str = 'the backend address') -> str:
    """``host:port`` with an IPv6 address in brackets: ``[fd00::5]:4317``."""
    return '%s:%d' % (_host(host, variable), _port(port, variable.replace('backend', 'port')))


def url(host, port, variable: str = 'the backend address', scheme: str = 'http') -> str:
    """``scheme://host:port``, as the OTEL_EXPORTER_OTLP_ENDPOINT variable takes it."""
    return '%s://%s' % (scheme, host_port(host, port, variable))


def bare_host(host, variable: str = 'the backend address') -> str:
    """The host as a socket connects to it: an IPv6 address without its brackets."""
    return _host(host, variable).strip('[]')


# The groups whose hosts run a node agent (the otel_agent role) when agents are on, and where it listens.
AGENT_GROUPS = ('kube_control_plane', 'kube_node', 'etcd')
AGENT_ADDRESS = '127.0.0.1'


def _flag(value, variable: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ('true', 'yes', 'on', '1'):
        return True
    if text in ('false', 'no', 'off', '0'):
        return False
    raise EditError('%s must be true or false, not %r' % (variable, value))


def span_destination(agent, backend, group_names=(), variable: str = 'kubetrace_agent') -> str:
    """Where a component on this host sends its spans: the node agent on loopback when agents are on and the
    host is one that runs an agent, else the backend as given (each role checks it where it writes it)."""
    if _flag(agent, variable) and set(group_names or ()) & set(AGENT_GROUPS):
        return AGENT_ADDRESS
    return backend


TIERS = ('node', 'gateway')


def agent_targets(tier, backend, backend_port, server_name=None, gateways=(), hostvars=None, gateway_port=4317,
                  gateway_dns='') -> list:
    """Where this host's collector exports, one dict per destination (host and port to connect to, endpoint as the
    collector writes it, the name the peer's certificate must hold, and what it is):

    - a gateway (tier gateway), or an agent with no gateway tier: the backend;
    - an agent with gateways named by one DNS name (gateway_dns): that name, which resolves to every gateway;
    - an agent with gateways in the inventory (gateways, addressed by their ansible_host): each of them.
    """
    if tier not in TIERS:
        raise EditError('otel_agent_tier must be node or gateway, not %r (a host of group otel_gateway is a gateway)'
                        % (tier,))
    gateways = list(gateways or ())
    if tier == 'gateway' or not (gateways or gateway_dns):
        name = server_name or backend
        return [dict(kind='backend', name=str(backend), host=bare_host(backend, 'otel_agent_backend'),
                     port=_port(backend_port, 'otel_agent_backend_port'),
                     endpoint=host_port(backend, backend_port, 'otel_agent_backend'),
                     server_name=bare_host(name, 'otel_agent_server_name'))]
    port = _port(gateway_port, 'otel_agent_gateway_port')
    if gateway_dns:
        host = bare_host(gateway_dns, 'otel_agent_gateway_dns')
        return [dict(kind='gateways', name=host, host=host, port=port,
                     endpoint=host_port(gateway_dns, port, 'otel_agent_gateway_dns'), server_name=host)]
    hostvars = hostvars or {}
    targets = []
    for name in gateways:
        known = hostvars[name] if name in hostvars else {}
        address = known.get('ansible_host') or name
        targets.append(dict(kind='gateway', name=str(name), host=bare_host(address, 'otel_agent_gateways'),
                            port=port, endpoint=host_port(address, port, 'otel_agent_gateways'),
                            server_name=bare_host(address, 'otel_agent_gateways')))
    return targets
