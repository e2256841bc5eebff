"""Helpers shared by the ``kgrag`` command modules."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import click

from ontology.errors import KgragError
from service.settings import Settings
from service.wiring import (  # noqa: F401 (re-exported for the command modules)
    Services,
    ingest_options,
    ingest_ports,
    retrieve_ports,
)

P = ParamSpec("P")
R = TypeVar("R")


def one_line_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn kgrag errors into ``kgrag: error: ...`` and exit status 1 (2 for usage)."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except KgragError as exc:
            detail = " ".join(str(exc.detail).split())  # one line, whatever the driver said
            click.echo(f"kgrag: error: {detail}", err=True)
            sys.exit(1)

    return wrapper


@contextmanager
def open_services(settings: Settings | None = None) -> Iterator[Services]:
    """Services for one command, closed when it ends.  Fails at once, in one line, when
    Neo4j does not answer (instead of the driver retrying a transaction for half a
    minute, logging each try)."""
    logging.getLogger("neo4j").setLevel(logging.ERROR)
    svc = Services.from_settings(settings or Settings.from_env())
    try:
        try:
            svc.store.verify()
        except KgragError as exc:
            hint = "" if "credentials" in str(exc.detail) else \
                " (start the local server: scripts/neo4j-local start)"
            raise type(exc)(f"{exc.detail}{hint}") from exc
        yield svc
    finally:
        svc.close()


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, sort_keys=False, default=str))


def split_groups(groups: str | None, settings: Settings) -> tuple[str, ...]:
    chosen = tuple(g.strip() for g in (groups or "").split(",") if g.strip())
    return tuple(dict.fromkeys(("public", *chosen)))


MODES = click.Choice(["vector", "fulltext", "hybrid", "graph"])


