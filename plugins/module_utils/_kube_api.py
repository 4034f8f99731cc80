# -*- coding: utf-8 -*-
# Copyright: kubetrace.tracing contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to kubetrace.tracing: talk to kube-apiserver with a kubeconfig's certificates, standard library only.

The nodes have python3 and nothing else, so neither PyYAML nor a Kubernetes client: a kubeconfig as
kubeadm writes it (admin.conf: one cluster, one user, the certificates inline or as files) is read with a
few patterns, and the certificates go to a private temporary folder for the call and are removed after.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import tempfile
import time
import urllib.error

from ansible.module_utils.urls import open_url

_FIELDS = ('server', 'certificate-authority-data', 'certificate-authority', 'client-certificate-data',
           'client-certificate', 'client-key-data', 'client-key')


class KubeApiError(Exception):
    """A call that could not be made or was refused; the message says what to do."""


def parse_kubeconfig(text: str, where: str) -> dict:
    """{field: value} of the one cluster and user of a kubeconfig."""
    found = {}
    for field in _FIELDS:
        values = re.findall(r'^\s*%s:\s*["\']?([^"\'\s#]+)' % re.escape(field), text or '', re.MULTILINE)
        if len(set(values)) > 1:
            raise KubeApiError('%s has %d values of %s (several clusters or users); point kubeconfig at one with a '
                               'single cluster and user, as kubeadm writes admin.conf' % (where, len(values), field))
        if values:
            found[field] = values[0]
    missing = [name for name, alternative in (('server', None), ('certificate-authority-data', 'certificate-authority'),
                                              ('client-certificate-data', 'client-certificate'),
                                              ('client-key-data', 'client-key'))
               if name not in found and alternative not in found]
    if missing:
        raise KubeApiError('%s has no %s; it needs the cluster address, its CA and a client certificate and key '
                           '(kubeadm\'s admin.conf has them)' % (where, ', '.join(missing)))
    return found


class Client:
    """Requests to one kube-apiserver; use as a context manager (the certificates' folder is removed after)."""

    def __init__(self, kubeconfig_path: str, timeout: float = 15, patience: float = 120):
        try:
            with open(kubeconfig_path, encoding='utf-8') as handle:
                config = parse_kubeconfig(handle.read(), kubeconfig_path)
        except OSError as exc:
            raise KubeApiError('cannot read the kubeconfig %s: %s' % (kubeconfig_path, exc.strerror or exc)) from None
        self.server = config['server'].rstrip('/')
        self.timeout = timeout
        self.patience = patience
        self.folder = tempfile.mkdtemp(prefix='.kubetrace-api.')
        try:
            files = {}
            for name, data_field, file_field in (('ca', 'certificate-authority-data', 'certificate-authority'),
                                                 ('cert', 'client-certificate-data', 'client-certificate'),
                                                 ('key', 'client-key-data', 'client-key')):
                if data_field in config:
                    files[name] = os.path.join(self.folder, name)
                    with os.fdopen(os.open(files[name], os.O_WRONLY | os.O_CREAT, 0o600), 'wb') as stream:
                        stream.write(base64.b64decode(config[data_field]))
                else:
                    files[name] = config[file_field]
            self.files = files
        except (OSError, ValueError) as exc:
            self.close()
            raise KubeApiError('cannot use the certificates of %s: %s' % (kubeconfig_path, exc)) from None

    def close(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    def request(self, method: str, path: str, body=None, content_type='application/json'):
        """(status, decoded JSON answer); 404 and 409 are answers, other failures KubeApiError.

        A kube-apiserver that just lost its etcd for a restart answers late or 5xx for a while: such answers
        are asked again for up to ``patience`` seconds before they count."""
        deadline = time.monotonic() + self.patience
        while True:
            try:
                return self._request(method, path, body, content_type)
            except _Transient as exc:
                if time.monotonic() + 2 > deadline:
                    raise KubeApiError('%s (still, after %d s of asking again)' % (exc, self.patience)) from None
                time.sleep(2)

    def _request(self, method, path, body, content_type):
        data = json.dumps(body).encode() if body is not None else None
        try:
            # straight to the cluster's own apiserver: never through a proxy of the environment
            with open_url(self.server + path, data=data, method=method, timeout=self.timeout, use_proxy=False,
                          headers={'Content-Type': content_type, 'Accept': 'application/json'},
                          http_agent='kubetrace.tracing', ca_path=self.files['ca'], client_cert=self.files['cert'],
                          client_key=self.files['key']) as answer:
                return answer.status, json.loads(answer.read() or b'{}')
        except urllib.error.HTTPError as error:
            text = error.read().decode('utf-8', 'replace') if error.fp else ''
            if error.code in (404, 409):
                return error.code, {}
            try:
                text = json.loads(text).get('message', text)
            except ValueError:
                pass
            said = '%s %s answered %d: %s' % (method, self.server + path, error.code, text.strip()[:300])
            if error.code == 429 or error.code >= 500:
                raise _Transient(said) from None
            raise KubeApiError(said) from None
        except (OSError, ValueError) as error:
            raise _Transient('%s %s failed: %s' % (method, self.server + path, getattr(error, 'reason', error))) \
                from None


class _Transient(Exception):
    """A failure that may pass: a timeout, a refused connection, 429, 5xx."""
