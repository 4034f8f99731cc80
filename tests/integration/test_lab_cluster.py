"""The lab's cluster when a worker cannot join (tests/lab/scenario.py on real systemd-nspawn nodes): up stops
with a message that names the worker and kubeadm's cause, and takes down everything it had made."""

from __future__ import annotations

import os

import pytest

import lab
import registry
import scenario

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='the lab boots systemd-nspawn nodes: root only')

# A well-formed bootstrap token that cp1 never issued.
WRONG_TOKEN = 'abcdef.0123456789abcdef'


def test_a_worker_that_cannot_join_stops_the_lab_naming_the_node_and_the_cause(tmp_path):
    lab_dir = tmp_path / 'lab'
    with pytest.raises(lab.LabError) as raised:
        scenario.up(lab_dir, names=['cp1', 'node2'], join_token=WRONG_TOKEN)
    message = str(raised.value)
    print(message)
    first = message.splitlines()[0]
    assert first.startswith('node2: kubeadm join ') and ' failed: ' in first
    # kubeadm's discovery finds no signature for a token ID cp1 does not know
    assert 'abcdef' in first, first
    left = lab.leftovers(lab_dir)
    assert not any(left.values()), left
    assert registry.running(lab_dir) is None
    assert not (lab_dir / 'state.json').exists()
