"""Test configuration: real PostgreSQL and Redis, one database per xdist worker."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.api",
    "tests.fixtures.builders",
    "tests.fixtures.flows",
]
