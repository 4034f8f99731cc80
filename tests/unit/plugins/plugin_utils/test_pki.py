"""The agents' CA on the controller: made once, certificates made anew only when they must be."""

from __future__ import annotations

import datetime
import stat

import pytest
from cryptography import x509

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.plugin_utils import _pki

SERVER = {'name': 'jaeger-server', 'names': ['jaeger1', '10.0.0.5', 'fd00::5'], 'usage': 'server'}
CLIENT = {'name': 'node1-client', 'names': [], 'usage': 'client'}


def load(path):
    return x509.load_pem_x509_certificate(open(path, 'rb').read())


def test_first_run_makes_the_ca_and_certificates_a_second_changes_nothing(tmp_path):
    changes, paths = _pki.ensure(tmp_path / 'pki', 'test CA', [SERVER, CLIENT])
    assert len(changes) == 4   # ca.crt, ca-bundle.crt, two certificates
    server = load(paths['jaeger-server']['cert'])
    assert _pki.cert_names(server) == ['10.0.0.5', 'fd00::5', 'jaeger1']
    assert _pki.needs_new(server, load(tmp_path / 'pki' / 'ca.crt'), SERVER['names'], 30) == ''
    for key in ('ca.key', 'jaeger-server.key', 'node1-client.key'):
        assert stat.S_IMODE((tmp_path / 'pki' / key).stat().st_mode) == 0o600
    before = {path.name: path.read_bytes() for path in (tmp_path / 'pki').iterdir()}
    assert _pki.ensure(tmp_path / 'pki', 'test CA', [SERVER, CLIENT])[0] == []
    assert {path.name: path.read_bytes() for path in (tmp_path / 'pki').iterdir()} == before


def test_check_mode_writes_nothing(tmp_path):
    changes, _paths = _pki.ensure(tmp_path / 'pki', 'test CA', [SERVER], check_mode=True)
    assert changes and not (tmp_path / 'pki').exists()


def test_other_names_or_another_ca_or_a_near_expiry_make_it_anew(tmp_path):
    _pki.ensure(tmp_path, 'test CA', [SERVER])
    ca = load(tmp_path / 'ca.crt')
    cert = load(tmp_path / 'jaeger-server.crt')
    assert 'wanted' in _pki.needs_new(cert, ca, ['jaeger2'], 30)
    other_ca, _key = _pki.make_ca('another CA', 10)
    assert _pki.needs_new(cert, other_ca, SERVER['names'], 30) == 'signed by another CA'
    assert _pki.needs_new(cert, ca, SERVER['names'], 400).startswith('expires ')
    changes, _paths = _pki.ensure(tmp_path, 'test CA', [dict(SERVER, names=['jaeger2'])])
    assert any('jaeger-server.crt made (names' in change for change in changes)


def test_an_expired_certificate_can_be_made_for_the_fault_tests(tmp_path):
    ca, key = _pki.make_ca('test CA', 10)
    past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=2)
    cert, _key = _pki.make_cert(ca, key, 'old', ['jaeger1'], 'server', not_before=past,
                                not_after=past + datetime.timedelta(days=1))
    assert cert.not_valid_after_utc < datetime.datetime.now(datetime.timezone.utc)


def test_a_previous_ca_joins_the_trust_bundle_while_rotating(tmp_path):
    old, _key = _pki.make_ca('old CA', 10)
    _pki.ensure(tmp_path, 'test CA', [])
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    (tmp_path / 'ca-previous.crt').write_bytes(old.public_bytes(serialization.Encoding.PEM))
    changes, paths = _pki.ensure(tmp_path, 'test CA', [])
    assert changes == ['%s written' % paths['ca']]
    assert open(paths['ca']).read().count('BEGIN CERTIFICATE') == 2


@pytest.mark.parametrize('present', ['ca.crt', 'ca.key'])
def test_half_a_ca_is_refused_with_what_to_do(tmp_path, present):
    (tmp_path / present).write_text('x')
    with pytest.raises(EditError, match='ca.crt and ca.key go together'):
        _pki.ensure(tmp_path, 'test CA', [])


def test_a_file_that_is_not_a_certificate_is_named(tmp_path):
    _pki.ensure(tmp_path, 'test CA', [SERVER])
    (tmp_path / 'jaeger-server.crt').write_text('not a certificate')
    with pytest.raises(EditError, match='jaeger-server.crt: not a PEM certificate'):
        _pki.ensure(tmp_path, 'test CA', [SERVER])
