"""Shared fixtures. Each real component has its own plugin module under tests/fixtures.

Helpers that tests in more than one directory use (the served world, small tables,
reviewers voting over HTTP) live under tests/fixtures too; tests never import tests.
"""

pytest_plugins = [
    "tests.fixtures.home",
    "tests.fixtures.postgres",
    "tests.fixtures.softhsm",
    "tests.fixtures.sandbox",
    "tests.fixtures.ray",
    "tests.fixtures.secretflow",
]
