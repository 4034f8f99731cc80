"""otlp_tls_check against a real TLS server on loopback: what each certificate fault says."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading

import pytest
from cryptography.hazmat.primitives import serialization

from ansible_collections.kubetrace.tracing.plugins.modules import otlp_tls_check
from ansible_collections.kubetrace.tracing.plugins.plugin_utils import _pki

PAST = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def write(folder, name, cert, key):
    (folder / (name + '.crt')).write_bytes(pem(cert))
    (folder / (name + '.key')).write_bytes(_pki._key_pem(key))  # pylint: disable=protected-access
    return str(folder / (name + '.crt')), str(folder / (name + '.key'))


@pytest.fixture(name='pki')
def fixture_pki(tmp_path):
    ca, ca_key = _pki.make_ca('test CA', 10)
    other, other_key = _pki.make_ca('other CA', 10)
    (tmp_path / 'ca.crt').write_bytes(pem(ca))
    (tmp_path / 'other.crt').write_bytes(pem(other))
    files = {'ca': str(tmp_path / 'ca.crt'), 'other': str(tmp_path / 'other.crt')}
    files['good'] = write(tmp_path, 'good', *_pki.make_cert(ca, ca_key, 'jaeger', ['localhost', '127.0.0.1'], 'server'))
    files['expired'] = write(tmp_path, 'expired', *_pki.make_cert(
        ca, ca_key, 'jaeger', ['localhost', '127.0.0.1'], 'server', not_before=PAST,
        not_after=PAST + datetime.timedelta(days=1)))
    files['client'] = write(tmp_path, 'client', *_pki.make_cert(ca, ca_key, 'node1', [], 'client'))
    files['stranger'] = write(tmp_path, 'stranger', *_pki.make_cert(other, other_key, 'node1', [], 'client'))
    return files


class Server:
    """A TLS server on a free loopback port that completes handshakes (and reads a little) until stopped."""

    def __init__(self, cert, client_ca=None):
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(*cert)
        if client_ca:
            self.context.verify_mode = ssl.CERT_REQUIRED
            self.context.load_verify_locations(client_ca)
        self.listener = socket.socket()
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while True:
            try:
                raw, _address = self.listener.accept()
            except OSError:
                return
            try:
                with self.context.wrap_socket(raw, server_side=True) as tls:
                    tls.settimeout(1)
                    tls.recv(64)
            except (OSError, ssl.SSLError):
                pass

    def close(self):
        self.listener.close()


def attempt(server, ca, server_name='localhost', client=None):
    params = {'host': '127.0.0.1', 'port': server.port, 'server_name': server_name}
    files = {'ca': ca}
    if client:
        files['cert'], files['key'] = client
    try:
        otlp_tls_check.handshake(params, files)
    except (ssl.SSLError, ssl.CertificateError) as error:
        return otlp_tls_check.explain(error, server_name)
    except OSError as error:   # a refused client certificate can end the connection without an alert
        return 'connection: %s' % error
    return 'ok'


@pytest.mark.parametrize('case, words', [
    ('good', 'ok'),
    ('wrong ca', 'was not signed by the CA the agent trusts'),
    ('name', 'does not hold the name wrong.example'),
    ('address', 'does not hold the address 10.9.9.9'),
    ('expired', "the backend's certificate has expired"),
])
def test_server_certificate_faults_are_said_in_words(pki, case, words):
    server = Server(pki['expired'] if case == 'expired' else pki['good'])
    try:
        said = attempt(server, pki['other'] if case == 'wrong ca' else pki['ca'],
                       {'name': 'wrong.example', 'address': '10.9.9.9'}.get(case, 'localhost'))
    finally:
        server.close()
    assert words in said


@pytest.mark.parametrize('client, words', [
    ('client', 'ok'),
    (None, 'the backend'),          # no client certificate: refused
    ('stranger', 'the backend'),    # signed by another CA: refused
])
def test_mutual_tls_refusals_are_said(pki, client, words):
    server = Server(pki['good'], client_ca=pki['ca'])
    try:
        said = attempt(server, pki['ca'], client=pki[client] if client else None)
    finally:
        server.close()
    assert words in said, said
