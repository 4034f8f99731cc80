"""Shared test setup: make the clone importable as ansible_collections.kubetrace.tracing."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / 'tests' / 'fixtures'
sys.path.insert(0, str(REPO / '.collections'))
