"""Reading a kubeconfig as kubeadm writes it, with nothing but the standard library."""

from __future__ import annotations

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils._kube_api import KubeApiError, parse_kubeconfig

ADMIN_CONF = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://10.0.0.10:6443
  name: kubetrace-lab
contexts:
- context:
    cluster: kubetrace-lab
    user: kubernetes-admin
  name: kubernetes-admin@kubetrace-lab
current-context: kubernetes-admin@kubetrace-lab
kind: Config
users:
- name: kubernetes-admin
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
"""


def test_admin_conf_gives_the_server_and_the_certificates():
    assert parse_kubeconfig(ADMIN_CONF, 'admin.conf') == {
        'server': 'https://10.0.0.10:6443', 'certificate-authority-data': 'Q0EK',
        'client-certificate-data': 'Q0VSVAo=', 'client-key-data': 'S0VZCg=='}


def test_certificates_as_files_are_taken_too():
    text = ADMIN_CONF.replace('certificate-authority-data: Q0EK', 'certificate-authority: /etc/kubernetes/pki/ca.crt')
    text = text.replace('client-certificate-data: Q0VSVAo=', 'client-certificate: "/etc/kubernetes/pki/a.crt"')
    found = parse_kubeconfig(text, 'admin.conf')
    assert found['certificate-authority'] == '/etc/kubernetes/pki/ca.crt'
    assert found['client-certificate'] == '/etc/kubernetes/pki/a.crt'


@pytest.mark.parametrize('text, message', [
    (ADMIN_CONF + '- cluster:\n    server: https://10.0.0.11:6443\n', 'has 2 values of server'),
    (ADMIN_CONF.replace('    client-key-data: S0VZCg==\n', ''), 'has no client-key-data'),
    ('kind: Config\n', 'has no server, certificate-authority-data, client-certificate-data, client-key-data'),
])
def test_a_kubeconfig_it_cannot_use_is_refused_saying_why(text, message):
    with pytest.raises(KubeApiError, match=message):
        parse_kubeconfig(text, '/etc/kubernetes/admin.conf')


def test_a_late_or_failing_answer_is_asked_again_for_a_while(monkeypatch):
    from ansible_collections.kubetrace.tracing.plugins.module_utils import _kube_api  # pylint: disable=import-outside-toplevel
    client = _kube_api.Client.__new__(_kube_api.Client)
    client.patience, answers = 10, [_kube_api._Transient('GET x failed: timed out'),
                                    _kube_api._Transient('GET x answered 503: etcd'), (200, {'ok': True})]
    monkeypatch.setattr(_kube_api.time, 'sleep', lambda _seconds: None)

    def answer(*_args):
        found = answers.pop(0)
        if isinstance(found, Exception):
            raise found
        return found
    monkeypatch.setattr(client, '_request', answer)
    assert client.request('GET', '/x') == (200, {'ok': True})


def test_a_failure_that_does_not_pass_is_said_with_how_long_it_was_asked(monkeypatch):
    from ansible_collections.kubetrace.tracing.plugins.module_utils import _kube_api  # pylint: disable=import-outside-toplevel
    client = _kube_api.Client.__new__(_kube_api.Client)
    client.patience = 0

    def answer(*_args):
        raise _kube_api._Transient('GET x failed: timed out')
    monkeypatch.setattr(client, '_request', answer)
    with pytest.raises(KubeApiError, match=r'GET x failed: timed out \(still, after 0 s of asking again\)'):
        client.request('GET', '/x')
