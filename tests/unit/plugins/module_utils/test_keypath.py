from __future__ import annotations

import re

import pytest

from ansible_collections.kubetrace.tracing.plugins.module_utils._errors import EditError
from ansible_collections.kubetrace.tracing.plugins.module_utils._keypath import Index, Key, Select, parse, render


@pytest.mark.parametrize('path, segments', [
    ('tracing', (Key('tracing'),)),
    ('tracing.endpoint', (Key('tracing'), Key('endpoint'))),
    ('plugins."io.containerd.tracing.processor.v1.otlp".endpoint',
     (Key('plugins'), Key('io.containerd.tracing.processor.v1.otlp'), Key('endpoint'))),
    ('"a key with spaces".x', (Key('a key with spaces'), Key('x'))),
    ("plugins.'io.containerd.internal.v1.tracing'.service_name",
     (Key('plugins'), Key('io.containerd.internal.v1.tracing'), Key('service_name'))),
    ("'lit\\eral'", (Key('lit\\eral'),)),
    ('"say \\"hi\\""', (Key('say "hi"'),)),
    ('spec.containers[0].command', (Key('spec'), Key('containers'), Index(0), Key('command'))),
    ('items[-1]', (Key('items'), Index(-1))),
    ('spec.containers[name=kube-apiserver].command',
     (Key('spec'), Key('containers'), Select('name', 'kube-apiserver'), Key('command'))),
    ('volumes[name="with ] bracket"]', (Key('volumes'), Select('name', 'with ] bracket'))),
    ('a[0][1]', (Key('a'), Index(0), Index(1))),
    ('metadata.labels.app.kubernetes.io/name',
     (Key('metadata'), Key('labels'), Key('app'), Key('kubernetes'), Key('io/name'))),
])
def test_parse(path, segments):
    assert parse(path) == segments


@pytest.mark.parametrize('path, message', [
    ('', 'is empty'),
    ('a..b', 'empty key'),
    ('a.', 'ends with a dot'),
    ('.a', 'empty key'),
    ('[0]', 'starts with a selector'),
    ('a[x]', 'bad selector'),
    ('a[name=]', 'bad selector'),
    ('a[]', 'bad selector'),
    ('"open', 'unterminated double quote'),
    ("a.'open", 'unterminated single quote'),
    ("a'b'", 'expected "." or "["'),
    ('a"b"', 'expected "." or "["'),
    ('a=b', 'expected "." or "[" at character 2'),
    ('a.=b', "unexpected '='"),
])
def test_parse_errors_say_what_to_do(path, message):
    with pytest.raises(EditError, match=re.escape(message)):
        parse(path)


@pytest.mark.parametrize('path', [
    'spec.containers[name=kube-apiserver].command',
    'plugins."io.containerd.grpc.v1.cri".sandbox_image',
    'a[3].b',
])
def test_render_round_trips(path):
    assert parse(render(parse(path))) == parse(path)
