"""Shared fixtures. Each real component has its own plugin module under tests/fixtures."""

pytest_plugins = [
    "tests.fixtures.home",
    "tests.fixtures.postgres",
    "tests.fixtures.softhsm",
    "tests.fixtures.sandbox",
    "tests.fixtures.ray",
    "tests.fixtures.secretflow",
]
