"""HTTP tests log in many times per test: store the demo password under a cheap (still real) argon2 hash."""
from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from api.demo import DEMO_PASSWORD


@pytest.fixture(scope="session")
def password_hash() -> str:
    """The demo password hashed with minimal argon2 cost: login verifies it for real, in ~1 ms instead of ~250 ms."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(DEMO_PASSWORD)
