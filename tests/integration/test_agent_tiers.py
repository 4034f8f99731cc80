"""The otel_agent role's configuration for each tier, rendered by the role's own template for an inventory with
and without a gateway tier, and checked by the collector itself (`validate`, on the lab's gateway build, which holds
the load-balancing exporter): a node agent sending to the backend, one balancing over the gateways of group
otel_gateway or over one DNS name, and a gateway."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import otelcol
import pytest
import yaml

from playrunner import BIN, render_role_config
from testpaths import REPO

INVENTORY = '''
[jaeger]
jaeger1 ansible_host=10.0.0.2
[kube_node]
node2 ansible_host=10.0.0.12
[otel_gateway]
{gateways}
'''


def render_run(tmp_path, target, gateways='', **overrides):
    (tmp_path / 'data' / 'queue').mkdir(parents=True, exist_ok=True)   # the role makes it before it validates
    (tmp_path / 'inventory.ini').write_text(INVENTORY.format(gateways=gateways))
    extra = dict({'kubetrace_agent_mtls': True, 'otel_agent_data_dir': str(tmp_path / 'data')}, **overrides)
    return render_role_config(tmp_path, 'otel_agent', extra, str(tmp_path / 'inventory.ini'), target)


def render(tmp_path, target, gateways='', **overrides):
    run = render_run(tmp_path, target, gateways, **overrides)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return yaml.safe_load((tmp_path / 'config.yaml').read_text())


def validate(tmp_path):
    return subprocess.run([str(otelcol.binary(otelcol.GATEWAY_VERSION)), 'validate',
                           '--config=%s' % (tmp_path / 'config.yaml')], capture_output=True, text=True, check=False)


GATEWAYS = 'gw1 ansible_host=10.0.0.7\ngw2 ansible_host=fd00::8'


@pytest.mark.parametrize('target, gateways, overrides, exporter', [
    ('node2', '', {}, 'otlp_grpc/backend'),
    ('node2', GATEWAYS, {}, 'load_balancing/gateways'),
    ('node2', '', {'otel_agent_gateway_dns': 'gateways.example.org'}, 'load_balancing/gateways'),
    ('gw1', GATEWAYS, {}, 'otlp_grpc/backend'),
])
def test_the_collector_validates_the_role_configuration_of_each_tier(tmp_path, target, gateways, overrides, exporter):
    config = render(tmp_path, target, gateways, **overrides)
    assert list(config['exporters']) == [exporter]
    assert config['service']['pipelines']['traces']['exporters'] == [exporter]
    run = validate(tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


def test_an_agent_balances_over_the_gateways_by_trace_id_with_its_queue_on_disk(tmp_path):
    config = render(tmp_path, 'node2', GATEWAYS)
    balancer = config['exporters']['load_balancing/gateways']
    assert balancer['routing_key'] == 'traceID'
    assert balancer['resolver'] == {'static': {'hostnames': ['10.0.0.7:4317', '[fd00::8]:4317']}}
    assert balancer['sending_queue']['storage'] == 'file_storage/queue'
    # each gateway's exporter retries in place and queues nothing of its own (a restart would lose that queue)
    otlp = balancer['protocol']['otlp']
    assert otlp['sending_queue'] == {'enabled': False} and otlp['retry_on_failure']['enabled'] is True
    assert otlp['tls']['cert_file'].endswith('client.crt') and 'server_name_override' not in otlp['tls']
    assert 'resource/host' in config['service']['pipelines']['traces']['processors']


def test_a_gateway_takes_tls_on_its_address_and_marks_what_it_passes(tmp_path):
    config = render(tmp_path, 'gw1', GATEWAYS)
    grpc = config['receivers']['otlp']['protocols']
    assert list(grpc) == ['grpc'] and grpc['grpc']['endpoint'] == '0.0.0.0:4317'
    assert grpc['grpc']['tls']['client_ca_file'].endswith('ca.crt')
    assert config['exporters']['otlp_grpc/backend']['endpoint'] == '10.0.0.2:4317'
    assert config['processors']['resource/gateway']['attributes'] == [
        {'key': 'kubetrace.gateway', 'value': 'gw1', 'action': 'insert'}]
    assert 'resource/host' not in config['processors']
    assert config['service']['telemetry']['resource']['service.name'] == 'otel-gateway'


def test_a_dns_name_for_the_gateways_is_the_name_their_certificates_hold(tmp_path):
    config = render(tmp_path, 'node2', '', otel_agent_gateway_dns='gateways.example.org')
    balancer = config['exporters']['load_balancing/gateways']
    assert balancer['resolver']['dns'] == {'hostname': 'gateways.example.org', 'port': '4317', 'interval': '30s'}
    assert balancer['protocol']['otlp']['tls']['server_name_override'] == 'gateways.example.org'


def test_a_gateway_named_wrong_is_refused_naming_the_variable(tmp_path):
    run = render_run(tmp_path, 'node2', 'gw1 ansible_host=https://10.0.0.7')
    assert run.returncode != 0
    assert 'otel_agent_gateways must be a host name' in ' '.join(run.stdout.split()) and 'without the scheme' in run.stdout
    assert not (tmp_path / 'config.yaml').exists()


ROLE_PLAY = '''
- name: Run the otel_agent role
  hosts: "{{ target }}"
  connection: local
  gather_facts: false
  roles:
    - role: kubetrace.tracing.otel_agent
'''


def run_role(tmp_path, inventory, **extra):
    """The role itself on this machine, in check mode (nothing written whatever it does)."""
    (tmp_path / 'role.yml').write_text(ROLE_PLAY)
    (tmp_path / 'inventory.ini').write_text(inventory)
    extra = dict({'target': 'gw1', 'kubetrace_pki_dir': str(tmp_path / 'pki'),
                  'ansible_python_interpreter': sys.executable}, **extra)
    run = subprocess.run([str(BIN / 'ansible-playbook'), '--check', '-i', str(tmp_path / 'inventory.ini'),
                          str(tmp_path / 'role.yml'), '-e', json.dumps(extra)],
                         cwd=REPO, capture_output=True, text=True, check=False,
                         env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1'))
    return run, ' '.join(run.stdout.split())


def test_a_gateway_that_is_also_a_node_is_refused_before_anything_changes(tmp_path):
    run, words = run_role(tmp_path, INVENTORY.format(gateways='gw1 ansible_host=10.0.0.7') + '[kube_node]\ngw1\n')
    assert run.returncode != 0
    assert 'gw1 is in group otel_gateway and in kube_node: a gateway runs on a host of its own' in words
    assert not (tmp_path / 'pki').exists()


def test_a_dns_interval_that_is_not_a_duration_is_refused(tmp_path):
    run, words = run_role(tmp_path, INVENTORY.format(gateways='gw1 ansible_host=10.0.0.7'),
                          otel_agent_gateway_dns_interval='often')
    assert run.returncode != 0
    assert 'otel_agent_gateway_dns_interval a duration such as 30s' in words
    assert not (tmp_path / 'pki').exists()
