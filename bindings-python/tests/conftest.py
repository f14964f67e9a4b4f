from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def example_policy_path() -> Path:
    return ROOT / "examples" / "wikimedia" / "policy.yaml"
