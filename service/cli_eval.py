"""``kgrag eval``: the retrieval evaluation harness on the command line."""

from __future__ import annotations

import sys

import click

from service.cli_common import (
    MODES,
    echo_json,
    one_line_errors,
    open_services,
    retrieve_ports,
    split_groups,
)
from service.settings import Settings


@click.command("eval")
@click.option("--corpus", type=click.Path(exists=True, dir_okay=True),
              help="Corpus to ingest into a clean graph first (JSONL or a folder).")
@click.option("--questions", type=click.Path(exists=True, dir_okay=False), required=True)
@click.option("--mode", type=MODES, default="graph", show_default=True)
@click.option("--compare", help="Several modes in one run, e.g. vector,hybrid,graph.")
@click.option("--k", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--hops", type=click.IntRange(0, 3), default=2, show_default=True)
@click.option("--groups", help="ACL groups of the evaluating principal (public implied).")
@click.option("--no-ingest", is_flag=True, help="Evaluate the graph as it is.")
@click.option("--space", "space_id",
              help="Evaluate this embedding space (e.g. one built but not yet active) on the "
                   "graph as it is; implies --no-ingest.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("--markdown", type=click.Path(dir_okay=False), help="Also write a table here.")
@one_line_errors
def eval_command(corpus: str | None, questions: str, mode: str, compare: str | None, k: int,
                 hops: int, groups: str | None, no_ingest: bool, as_json: bool,
                 markdown: str | None, space_id: str | None) -> None:
    """Recall@k, full support, MRR and latency of retrieval over QUESTIONS."""
    from graph.evaluate import evaluate, leaked, load_questions, markdown_table
    from graph.ingest.load import load_paths
    from graph.ingest.pipeline import ingest
    from graph.retrieve.types import Mode
    from graph.schema import init_schema, reset_database
    from graph.spaces import get_space
    from service.wiring import ingest_options, ingest_ports

    if space_id and corpus and not no_ingest:
        raise click.UsageError("--space evaluates the graph as it is: drop --corpus or add "
                               "--no-ingest")
    no_ingest = no_ingest or bool(space_id)
    modes = [Mode(m.strip()) for m in (compare or mode).split(",") if m.strip()]
    qs = load_questions(questions)
    settings = Settings.from_env()
    chosen = split_groups(groups, settings)
    with open_services(settings) as svc:
        ingest_report = None
        if not no_ingest:
            if corpus is None:
                raise click.UsageError("--corpus is required unless --no-ingest is given")
            click.echo("eval: emptying the graph and ingesting the corpus", err=True)
            reset_database(svc.store)
            init_schema(svc.store, space=svc.default_space(), ontology=svc.ontology)
            ingest_report = ingest(load_paths([corpus]), ingest_ports(svc), ingest_options(svc))
        ports = retrieve_ports(svc, get_space(svc.store, space_id) if space_id else None)
        if ports.snapshots is not None:  # every question answered from the same copy
            ports.snapshots.refresh(ports.names.vector_property)
        reports = [evaluate(qs, ports, mode=m, k=k, groups=chosen, hops=hops) for m in modes]
        restricted = {r["id"] for r in svc.store.read("eval_restricted_documents",
                                                       {"groups": list(chosen)})}
    leaks = sorted({q for rep in reports for q in leaked(rep["questions"], restricted)})
    out = {"questions": questions, "k": k, "groups": list(chosen), "leaks": leaks,
           "space": ports.names.space,
           "ingest": ingest_report.as_dict() if ingest_report else None, "modes": reports}
    table = markdown_table(reports, f"{questions} (k={k})")
    if markdown:
        with open(markdown, "w", encoding="utf-8") as fh:
            fh.write(table)
    if as_json:
        echo_json(out)
    else:
        click.echo(table)
        click.echo(f"ACL leaks: {len(leaks)}")
    if leaks:
        sys.exit(1)
