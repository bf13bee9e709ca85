"""Fixtures shared by the integration tests: the poison world (tests/integration/poison_world.py)."""

from tests.integration.poison_world import world  # noqa: F401 (a fixture, registered by being here)
