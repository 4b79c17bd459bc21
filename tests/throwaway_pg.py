"""A throwaway database on the local PostgreSQL server, for tests that run on both dialects."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def throwaway_postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server (trust auth), dropped afterwards."""
    name = f"clientseg_test_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"create database {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"drop database if exists {name} with (force)")
