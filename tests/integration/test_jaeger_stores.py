"""The jaeger role's configuration for every store it offers (and with the agents' TLS receivers), rendered by
the role's own template and checked by Jaeger itself (`jaeger validate`): a store a thousand nodes need is
never first tried on a production backend."""

from __future__ import annotations

import subprocess

import jaeger
import pytest

from playrunner import render_role_config


def render(tmp_path, **overrides):
    run = render_role_config(tmp_path, 'jaeger', dict({'jaeger_data_dir': str(tmp_path / 'data'),
                                                       'jaeger_config_dir': str(tmp_path)}, **overrides))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return (tmp_path / 'config.yaml').read_text()


def validate(tmp_path):
    return subprocess.run([str(jaeger.binary()), 'validate', '--config', str(tmp_path / 'config.yaml')],
                          capture_output=True, text=True, check=False)


@pytest.mark.parametrize('store, servers, words', [
    ('memory', [], 'max_traces'),
    ('badger', [], 'badger:'),
    ('opensearch', ['https://os1.example:9200', 'https://os2.example:9200'], 'opensearch:'),
    ('elasticsearch', ['https://es1.example:9200'], 'elasticsearch:'),
    ('cassandra', ['cass1.example:9042', 'cass2.example:9042'], 'keyspace: "jaeger_v1_dc1"'),
])
@pytest.mark.parametrize('tls', [False, True])
def test_jaeger_validates_the_role_configuration_of_each_store(tmp_path, store, servers, words, tls):
    text = render(tmp_path, jaeger_storage=store, jaeger_storage_servers=servers, kubetrace_agent=tls,
                  kubetrace_agent_mtls=tls)
    assert words in text
    assert ('client_ca_file' in text) is tls and ('otlp/loopback' in text) is tls
    run = validate(tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


def test_jaeger_refuses_a_broken_store_configuration(tmp_path):
    render(tmp_path, jaeger_storage='cassandra', jaeger_storage_servers=['cass1.example:9042'])
    text = (tmp_path / 'config.yaml').read_text().replace('keyspace:', 'keyspacee:')
    (tmp_path / 'config.yaml').write_text(text)
    run = validate(tmp_path)
    assert run.returncode != 0 and 'keyspacee' in run.stdout + run.stderr
