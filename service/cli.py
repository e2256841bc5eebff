"""The ``kgrag`` command line.  Errors print one line and exit non-zero."""

from __future__ import annotations

import sys
from typing import Any

import click

from service.cli_common import (
    MODES,
    echo_json,
    ingest_options,
    ingest_ports,
    one_line_errors,
    open_services,
    retrieve_ports,
    split_groups,
)
from service.settings import Settings


@click.group()
def main() -> None:
    """kgrag: knowledge-graph-augmented retrieval with checkable provenance."""


@main.group()
def db() -> None:
    """Schema and database administration."""


@db.command("init")
@one_line_errors
def db_init() -> None:
    """Create constraints and indexes (idempotent) and wait until they are ONLINE."""
    from graph.schema import init_schema

    with open_services() as svc:
        indexes = init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
        for row in indexes:
            click.echo(f"{row['name']:<48} {row['type']:<9} {row['state']}")
        space = svc.active_space()
        click.echo(f"schema ready (ontology {svc.ontology.version}; active embedding space "
                   f"{space.id} = {space.model_id})")


@db.command("reset")
@click.option("--yes", is_flag=True, help="Confirm that every node should be deleted.")
@one_line_errors
def db_reset(yes: bool) -> None:
    """Delete every node and relationship (the schema stays)."""
    from graph.schema import reset_database

    if not yes:
        raise click.UsageError("refusing to empty the database without --yes")
    with open_services() as svc:
        click.echo(f"deleted {reset_database(svc.store)} nodes")


@db.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def db_status(as_json: bool) -> None:
    """Server version, node and relationship counts, index states."""
    from graph.schema import database_status

    with open_services() as svc:
        status = database_status(svc.store)
    if as_json:
        echo_json(status)
        return
    for name, version in status["server"].items():
        click.echo(f"server: {name} {version}")
    click.echo("nodes:")
    for label, n in status["labels"].items():
        click.echo(f"  {label:<20} {n}")
    click.echo("relationships:")
    for rtype, n in status["relationships"].items():
        click.echo(f"  {rtype:<20} {n}")
    click.echo("indexes:")
    for row in status["indexes"]:
        click.echo(f"  {row['name']:<48} {row['type']:<9} {row['state']}")


@db.command("optimize")
@one_line_errors
def db_optimize() -> None:
    """Rebuild the active embedding space's vector indexes (after bulk loads).

    Many ingestion transactions leave an index in many small segments, which
    makes vector search several times slower; queries wait while it rebuilds.
    """
    from graph.spaces import rebuild_indexes

    with open_services() as svc:
        space = svc.active_space()
        seconds = rebuild_indexes(svc.store, space)
    click.echo(f"rebuilt the vector indexes of {space.id} in {seconds:.1f} s")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--acl", "acl", multiple=True, help="ACL group for documents that name none "
              "(repeatable; default: public).")
@click.option("--batch-size", type=click.IntRange(1, 1024), default=16, show_default=True,
              help="Documents analysed per batch.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@one_line_errors
def ingest(paths: tuple[str, ...], acl: tuple[str, ...], batch_size: int, as_json: bool) -> None:
    """Ingest files and folders (.txt .md .html .pdf .jsonl); unchanged ones are skipped."""
    from tqdm import tqdm

    from graph.ingest.load import load_paths
    from graph.ingest.pipeline import ingest as run_ingest

    settings = Settings.from_env()
    with open_services(settings) as svc:
        items = load_paths(paths, default_acl=acl or settings.default_acl_groups,
                           max_bytes=settings.max_document_bytes)
        bar = tqdm(unit="doc", disable=as_json or not sys.stderr.isatty(), file=sys.stderr)

        def progress(rep):
            bar.n = rep.ingested + rep.unchanged
            bar.set_postfix(chunks=rep.chunks, entities=rep.entities, refresh=True)

        report = run_ingest(items, ingest_ports(svc), ingest_options(svc, batch_size),
                            progress)
        bar.close()
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(f"documents: {report.documents}  ingested: {report.ingested}  "
                   f"unchanged: {report.unchanged}  failed: {len(report.failed)}")
        click.echo(f"chunks: {report.chunks}  entities: {report.entities}  mentions: "
                   f"{report.mentions}  relations: {report.relations}")
        for source, reason in report.failed:
            click.echo(f"failed: {source}: {reason}", err=True)
    if report.failed:
        sys.exit(1)


@main.command()
@click.argument("doc_id")
@one_line_errors
def delete(doc_id: str) -> None:
    """Remove a document and everything derived only from it."""
    from graph.ingest.write import delete_document
    from ontology.errors import NotFoundError

    with open_services() as svc:
        if not delete_document(svc.store, doc_id):
            raise NotFoundError(f"no document with id {doc_id!r}")
    click.echo(f"deleted {doc_id}")


@main.command()
@click.argument("question")
@click.option("--mode", type=MODES, default="graph", show_default=True)
@click.option("--k", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--hops", type=click.IntRange(0, 3), default=2, show_default=True)
@click.option("--groups", help="ACL groups of the caller, comma separated (public is implied).")
@click.option("--json", "as_json", is_flag=True, help="Print chunks and paths as JSON.")
@one_line_errors
def retrieve(question: str, mode: str, k: int, hops: int, groups: str | None,
             as_json: bool) -> None:
    """Evidence chunks for QUESTION, each with its provenance paths."""
    from graph.retrieve.pipeline import retrieve as run_retrieve
    from graph.retrieve.types import Mode, RetrieveParams

    settings = Settings.from_env()
    with open_services(settings) as svc:
        result = run_retrieve(question, retrieve_ports(svc, snapshots=False), RetrieveParams(
            k=k, mode=Mode(mode), hops=hops, groups=split_groups(groups, settings)))
    if as_json:
        echo_json(result.as_dict())
        return
    for c in result.chunks:
        click.echo(f"[{c.rank}] {c.doc_id} (score {c.score:.4f}, found by "
                   f"{'+'.join(c.found_by)})")
        click.echo("    " + c.text[:240].replace("\n", " ") + ("..." if len(c.text) > 240 else ""))
        for p in result.paths:
            if p.chunk_id == c.id:
                click.echo("    path: " + describe_path(p.as_dict()))


@main.command()
@click.argument("question")
@click.option("--mode", type=MODES, default="graph", show_default=True)
@click.option("--k", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--groups", help="ACL groups of the caller, comma separated (public is implied).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole answer as JSON.")
@one_line_errors
def ask(question: str, mode: str, k: int, groups: str | None, as_json: bool) -> None:
    """Answer QUESTION from the graph's evidence, every sentence cited and checked."""
    from graph.retrieve.types import Mode, RetrieveParams
    from service.qa import ask as run_ask

    settings = Settings.from_env()
    with open_services(settings) as svc:
        result = run_ask(question, svc, RetrieveParams(k=k, mode=Mode(mode),
                                                       groups=split_groups(groups, settings)))
    body = result.as_dict()
    if as_json:
        echo_json(body)
        return
    click.echo(body["answer"])
    if body["abstained"]:
        click.echo(f"(abstained: {body['reason']})")
    for c in body["citations"]:
        click.echo(f"  [{c['source']}] {c['doc_id']} {c['char_start']}-{c['char_end']}: "
                   f"{c['quote']!r}")
    click.echo(f"confidence {body['confidence']:.2f} · generator {body['generator']} "
               f"({body['model']}) · prompt {body['prompt_version']}")


def describe_path(path: dict[str, Any]) -> str:
    parts = []
    for s in path["steps"]:
        kind = s["kind"]
        if kind == "query_entity":
            parts.append(f"question names {s['name']!r}")
        elif kind == "relation":
            arrow = f"-{s['predicate']}->" if s["forward"] else f"<-{s['predicate']}-"
            parts.append(f"{arrow} {s['to']} ({s['evidence']['quote']!r})")
        elif kind == "search":
            parts.append(f"{s['method']} match {s['score']:.3f}")
        elif kind == "entity":
            parts.append(f"mentions {s['name']!r}")
        elif kind == "chunk" and s["char_end"] - s["char_start"] < 300:
            parts.append(f"chunk says {s['quote']!r}")
        elif kind == "document":
            parts.append(f"{s['doc_id']} v{s['version']}")
    return " | ".join(parts)


@main.command()
@one_line_errors
def demo() -> None:
    """The main job: demo corpus in, service up, questions over REST, answers with provenance."""
    from service.demo.run import run_demo

    run_demo(click.echo)


def _register_subcommands() -> None:
    # Imported here: these modules share cli_common with this one, not each other.
    from service.cli_embeddings import drift, embeddings, versions
    from service.cli_eval import eval_command
    from service.cli_service import keys, serve

    for command in (eval_command, keys, serve, embeddings, drift, versions):
        main.add_command(command)


_register_subcommands()


if __name__ == "__main__":
    main()
