"""component_ready on a real node: an HTTP endpoint, a process told by its pid and flags, a command,
a TCP port; in check mode too, since it only asks."""

from __future__ import annotations

import http.server
import shutil
import socket
import subprocess
import threading

import pytest


@pytest.fixture
def endpoint():
    """An HTTP server on loopback: /ok answers 200 with a body, anything else 503."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            status, body = (200, b'{"health":"true"}') if self.path == '/ok' else (503, b'not ready')
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield 'http://127.0.0.1:%d' % server.server_address[1]
    server.shutdown()


@pytest.fixture
def component(tmp_path):
    """A process named kt-component that runs with --tracing=on (a copy of python3, sleeping)."""
    program = tmp_path / 'kt-component'
    shutil.copy('/usr/bin/python3', program)
    process = subprocess.Popen([str(program), '-c', 'import time; time.sleep(120)', '--tracing=on'])
    yield str(process.pid)
    process.kill()
    process.wait()


def test_an_endpoint_that_answers(play, endpoint):
    run = play('kubetrace.tracing.component_ready', {'url': endpoint + '/ok', 'body_regex': '"health":\\s*"true"'},
               check=True)
    assert run.result['ready'] is True and run.result['changed'] is False


def test_an_endpoint_that_does_not_is_said_in_words(play, endpoint):
    run = play('kubetrace.tracing.component_ready', {'name': 'etcd', 'url': endpoint + '/health', 'timeout': 2,
                                                     'interval': 0.5, 'fail': False})
    assert run.result['ready'] is False
    assert run.result['msg'] == 'etcd: %s/health answered 503: not ready after 2 s' % endpoint
    failed = play('kubetrace.tracing.component_ready', {'name': 'etcd', 'url': endpoint + '/health'})
    assert failed.results[0]['status'] == 'failed'


def test_a_process_is_told_by_its_flags_and_pid(play, component):
    found = play('kubetrace.tracing.component_ready', {'process': {'name': 'kt-component', 'flags': {'tracing': 'on'}}})
    assert found.result['pids'] == [component]
    assert found.result['processes'][0].startswith(component + ' ')
    old = play('kubetrace.tracing.component_ready', {'name': 'kt-component', 'fail': False, 'process': {
        'name': 'kt-component', 'flags': {'tracing': 'on'}, 'not_pids': [component]}})
    assert old.result['ready'] is False
    assert old.result['msg'].startswith('kt-component: no new kt-component process with --tracing=on (running: %s '
                                        % component)
    gone = play('kubetrace.tracing.component_ready', {'fail': False, 'process': {
        'name': 'kt-component', 'flags': {'tracing': None}}})
    assert gone.result['ready'] is False and 'with no --tracing' in gone.result['msg']


def test_a_command_must_exit_zero(play):
    assert play('kubetrace.tracing.component_ready', {'command': ['true']}).result['ready'] is True
    run = play('kubetrace.tracing.component_ready', {'name': 'containerd', 'command': ['sh', '-c', 'echo no socket >&2; exit 4'],
                                                     'fail': False})
    assert run.result['msg'] == 'containerd: sh -c echo no socket >&2; exit 4 exited 4: no socket'


def test_a_port_that_listens_and_one_that_does_not(play):
    with socket.socket() as listener:
        listener.bind(('127.0.0.1', 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert play('kubetrace.tracing.component_ready', {'tcp': {'host': '127.0.0.1', 'port': port}}).result['ready']
    closed = play('kubetrace.tracing.component_ready', {'tcp': {'host': '127.0.0.1', 'port': port}, 'fail': False})
    assert closed.result['ready'] is False and 'cannot connect to 127.0.0.1 port %d' % port in closed.result['msg']


def test_an_ipv6_address_is_taken_with_or_without_brackets(play):
    with socket.socket(socket.AF_INET6) as listener:
        listener.bind(('::1', 0))
        listener.listen()
        port = listener.getsockname()[1]
        for host in ('::1', '[::1]'):
            assert play('kubetrace.tracing.component_ready', {'tcp': {'host': host, 'port': port}}).result['ready']
