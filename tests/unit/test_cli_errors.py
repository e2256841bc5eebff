"""The command line's errors: one line, a non-zero status, no traceback, no wait."""

from __future__ import annotations

import socket
import time

import pytest
from click.testing import CliRunner

from service.cli import main as cli


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


@pytest.mark.parametrize("args", [["embeddings", "list"], ["retrieve", "Who audits HTC?"],
                                  ["ingest", "README.md"], ["db", "status"]])
def test_an_unreachable_neo4j_is_one_line_at_once(args: list[str]) -> None:
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{_closed_port()}", "NEO4J_PASSWORD": "x"}
    t0 = time.perf_counter()
    result = CliRunner().invoke(cli, args, env=env)
    elapsed = time.perf_counter() - t0
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("kgrag: error: Neo4j is unreachable")
    assert "scripts/neo4j-local start" in lines[0]
    assert "Traceback" not in result.output
    assert elapsed < 10  # no half a minute of transaction retries


def test_drop_refuses_without_a_space_name() -> None:
    result = CliRunner().invoke(cli, ["embeddings", "drop"])
    assert result.exit_code == 2 and "Missing argument" in result.output
