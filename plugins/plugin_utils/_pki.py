# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: the small CA the collection keeps on the controller for the node agents' TLS.

Controller side only, with Python's ``cryptography`` (a requirement of ansible-core itself). One folder holds
``ca.crt``/``ca.key`` and one ``<name>.crt``/``<name>.key`` per certificate it signs; a certificate is made
anew when it is missing, names other hosts than asked, was signed by another CA, or expires within the
renewal window. ``ca-previous.crt``, when the operator keeps one there, is added to the trust bundle, so that a
CA can be rotated host by host. Not a public API; it may change without notice.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    CRYPTOGRAPHY_ERROR = None
except ImportError as _error:  # ansible-core needs it, but a bare sanity environment may lack it
    CRYPTOGRAPHY_ERROR = str(_error)

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes, mode: int) -> None:
    part = path.with_name('.' + path.name + '.part')
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, 'wb') as handle:
        handle.write(data)
    os.chmod(part, mode)
    os.replace(part, path)


def subject_names(names):
    """x509 GeneralNames for host names and addresses (an IPv6 address may come in brackets)."""
    out = []
    for name in names:
        text = str(name).strip().strip('[]')
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(text)))
        except ValueError:
            out.append(x509.DNSName(text))
    return out


def make_ca(common_name: str, days: int):
    """(certificate, key) of a new self-signed CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return cert, key


def make_cert(ca_cert, ca_key, common_name: str, names, usage: str, days: int = 365, not_before=None, not_after=None):
    """(certificate, key) signed by the CA; usage is 'server' or 'client'. not_before/not_after override days
    (the tests make an expired certificate with them)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    start = not_before or now - datetime.timedelta(minutes=5)
    end = not_after or now + datetime.timedelta(days=days)
    purpose = ExtendedKeyUsageOID.SERVER_AUTH if usage == 'server' else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
               .issuer_name(ca_cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(subject_names(names)), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def cert_names(cert):
    """The host names and addresses a certificate is valid for, as strings."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return sorted([str(name) for name in san.get_values_for_type(x509.DNSName)]
                  + [str(address) for address in san.get_values_for_type(x509.IPAddress)])


def needs_new(cert, ca_cert, names, renew_before_days: int) -> str:
    """Why cert must be made anew ('' when it is fine): another CA signed it, other names, or it expires soon."""
    if cert.issuer != ca_cert.subject:
        return 'signed by another CA'
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, Exception):  # pylint: disable=broad-except
        return 'not signed by this CA'
    wanted = sorted(str(name.value) for name in subject_names(names))
    if names and cert_names(cert) != wanted:
        return 'names %s, wanted %s' % (', '.join(cert_names(cert)), ', '.join(wanted))
    if cert.not_valid_after_utc - _now() < datetime.timedelta(days=renew_before_days):
        return 'expires %s' % cert.not_valid_after_utc.strftime('%Y-%m-%d')
    return ''


def _load(path: Path, what: str):
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except ValueError as exc:
        raise EditError('%s: not a PEM %s (%s); delete it and run again to make a new one' % (path, what, exc)) from None


def ensure(folder, ca_name: str, certs, ca_days: int = 3650, days: int = 365, renew_before_days: int = 30,
           check_mode: bool = False):
    """Make what is missing or due in folder. certs: [{name, names, usage}]. Returns (changes, paths) where
    changes lists, in words, what was (or in check mode would be) made, and paths maps 'ca' (the trust bundle)
    and each cert name to {'cert', 'key'}."""
    folder = Path(folder).expanduser()
    changes = []
    ca_crt, ca_key_path = folder / 'ca.crt', folder / 'ca.key'
    if not check_mode:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if ca_crt.exists() and ca_key_path.exists():
        ca_cert = _load(ca_crt, 'CA certificate')
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    elif ca_crt.exists() or ca_key_path.exists():
        raise EditError('%s: ca.crt and ca.key go together, one of them is missing; put it back, or remove the other '
                        'to make a new CA (every certificate is then made anew)' % folder)
    else:
        ca_cert, ca_key = make_ca(ca_name, ca_days)
        changes.append('%s made (a new CA, valid %d days)' % (ca_crt, ca_days))
        if not check_mode:
            _write(ca_key_path, _key_pem(ca_key), 0o600)
            _write(ca_crt, ca_cert.public_bytes(serialization.Encoding.PEM), 0o644)
    paths = {'ca': str(folder / 'ca-bundle.crt')}
    bundle = ca_cert.public_bytes(serialization.Encoding.PEM)
    previous = folder / 'ca-previous.crt'
    if previous.exists():
        bundle += _load(previous, 'CA certificate').public_bytes(serialization.Encoding.PEM)
    if not (folder / 'ca-bundle.crt').exists() or (folder / 'ca-bundle.crt').read_bytes() != bundle:
        changes.append('%s written' % paths['ca'])
        if not check_mode:
            _write(folder / 'ca-bundle.crt', bundle, 0o644)
    for item in certs:
        crt, key = folder / (item['name'] + '.crt'), folder / (item['name'] + '.key')
        reason = 'missing' if not (crt.exists() and key.exists()) else needs_new(
            _load(crt, 'certificate'), ca_cert, item.get('names') or [], renew_before_days)
        if reason:
            changes.append('%s made (%s)' % (crt, reason))
            if not check_mode:
                cert, cert_key = make_cert(ca_cert, ca_key, item['name'], item.get('names') or [],
                                           item.get('usage', 'server'), days)
                _write(key, _key_pem(cert_key), 0o600)
                _write(crt, cert.public_bytes(serialization.Encoding.PEM), 0o644)
        paths[item['name']] = {'cert': str(crt), 'key': str(key)}
    return changes, paths
