"""The Neo4j adapter behind :class:`graph.ports.GraphStore`.

Imports the driver lazily and turns its exceptions into ours at the boundary,
so nothing above this module knows which driver runs the queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from graph.cypher import ddl, query
from graph.ports import Params, Row
from ontology.errors import GraphUnavailable, InvalidInputError, KgragError

T = TypeVar("T")


@contextmanager
def neo4j_errors() -> Iterator[None]:
    """Map driver exceptions to the kgrag error tree."""
    from neo4j import exceptions as ne

    try:
        yield
    except ne.AuthError as exc:
        raise GraphUnavailable(f"Neo4j refused the credentials: {exc.message}") from exc
    except (ne.ServiceUnavailable, ne.SessionExpired, OSError) as exc:
        raise GraphUnavailable(f"Neo4j is unreachable: {exc}") from exc
    except ne.ConstraintError as exc:
        raise InvalidInputError(f"constraint violated: {exc.message}") from exc
    except ne.Neo4jError as exc:
        raise KgragError(f"Neo4j error {exc.code}: {exc.message}") from exc
    except ne.DriverError as exc:
        raise GraphUnavailable(f"Neo4j driver error: {exc}") from exc


class Neo4jStore:
    """Named queries over one driver; one transaction per :meth:`write` call."""

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        import neo4j

        self.database = database
        with neo4j_errors():
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                connection_timeout=3.0,
                connection_acquisition_timeout=10.0,
                max_transaction_retry_time=3.0,
                notifications_min_severity="OFF",
            )

    def close(self) -> None:
        self._driver.close()

    def verify(self) -> None:
        """Raise GraphUnavailable unless the server answers."""
        with neo4j_errors():
            self._driver.verify_connectivity()

    def read(self, name: str, params: Params | None = None) -> list[Row]:
        text = query(name)

        def work(tx: Any) -> list[Row]:
            return [r.data() for r in tx.run(text, dict(params or {}))]

        return self._execute("read", work)

    def read_all(self, steps: Sequence[tuple[str, Params]],
                 vector_column: str = "") -> list[list[Row]]:
        """Several read queries in one transaction, for bulk reads of plain values
        (no nodes or relationships: rows are not converted, which ``data()`` does
        value by value).  A ``vector_column`` becomes float32 arrays as the rows
        stream in: 100k vectors as Python floats would be a gigabyte."""
        import numpy as np

        texts = [(query(name), dict(params)) for name, params in steps]

        def rows(result: Any) -> list[Row]:
            keys = result.keys()
            if vector_column not in keys:
                return [dict(zip(keys, r, strict=True)) for r in result]
            out = []
            for r in result:
                row = dict(zip(keys, r, strict=True))
                if row[vector_column] is not None:
                    row[vector_column] = np.asarray(row[vector_column], dtype=np.float32)
                out.append(row)
            return out

        def work(tx: Any) -> list[list[Row]]:
            return [rows(tx.run(t, p)) for t, p in texts]

        return self._execute("read", work)

    def write(self, steps: Sequence[tuple[str, Params]]) -> list[list[Row]]:
        texts = [(query(name), dict(params)) for name, params in steps]

        def work(tx: Any) -> list[list[Row]]:
            return [[r.data() for r in tx.run(t, p)] for t, p in texts]

        return self._execute("write", work)

    def run_auto(self, name: str, params: Params | None = None) -> list[Row]:
        """Auto-commit transaction: schema commands, CALL {} IN TRANSACTIONS."""
        with neo4j_errors(), self._driver.session(database=self.database) as session:
            return [r.data() for r in session.run(query(name), dict(params or {}))]

    def run_ddl(self, name: str, identifiers: dict[str, str],
                params: Params | None = None) -> list[Row]:
        """A schema statement whose identifiers :func:`graph.cypher.ddl` fills in."""
        with neo4j_errors(), self._driver.session(database=self.database) as session:
            return [r.data() for r in session.run(ddl(name, **identifiers), dict(params or {}))]

    def _execute(self, mode: str, work: Callable[[Any], T]) -> T:
        with neo4j_errors(), self._driver.session(database=self.database) as session:
            if mode == "read":
                return session.execute_read(work)
            return session.execute_write(work)
