"""``kgrag embeddings``, ``kgrag drift`` and ``kgrag versions``: governance of what answers.

A model change is a routine, reversible operation: build a new embedding space
beside the active one (the service keeps answering from the active space), check
its drift and evaluate it, activate it in one transaction, roll back if needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from service.cli_common import echo_json, one_line_errors, open_services


@click.group()
def embeddings() -> None:
    """Embedding spaces: build beside the active one, activate, roll back, drop."""


@embeddings.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def list_command(as_json: bool) -> None:
    """Every embedding space, with its state and build progress."""
    from graph.spaces import list_spaces

    with open_services() as svc:
        spaces = [s.as_dict() | {"missing": svc.store.read("space_count_missing", {
            "property": s.vector_property})[0]} for s in list_spaces(svc.store)]
    if as_json:
        echo_json(spaces)
        return
    if not spaces:
        click.echo("no embedding space yet: run `kgrag db init`")
    for s in spaces:
        mark = "*" if s["state"] == "active" else " "
        missing = s["missing"]
        click.echo(f"{mark} {s['id']:<44} {s['state']:<8} dim {s['dimension']:<5} "
                   f"missing {missing['chunks']} chunks, {missing['entities']} entities  "
                   f"{s['model_id']}")


@embeddings.command()
@click.option("--model", required=True,
              help="A packaged model name (all-MiniLM-L6-v2) or a sentence-transformers folder.")
@click.option("--batch-size", type=click.IntRange(1, 10_000), default=256, show_default=True,
              help="Nodes embedded and committed per transaction.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@one_line_errors
def build(model: str, batch_size: int, as_json: bool) -> None:
    """Embed every chunk and entity into the space of MODEL (resumable; the active
    space keeps answering meanwhile). Activate it afterwards with `activate`."""
    from tqdm import tqdm

    from graph.ingest.pipeline import entity_text
    from graph.spaces import BuildReport, Space, register
    from graph.spaces import build as run_build

    with open_services() as svc:
        svc.active_space()  # a graph without spaces needs `db init` first
        path = Path(model).expanduser()
        name = str(path.resolve()) if path.is_dir() else model
        embedder = svc.embedder_for_model(name)
        candidate = Space.for_model(name, embedder.model_id, embedder.dimension)
        space = register(svc.store, candidate)
        if space.state != "building":
            click.echo(f"space {space.id} is already built ({space.state})", err=True)
            return
        missing = svc.store.read("space_count_missing", {"property": space.vector_property})[0]
        bar = tqdm(total=missing["chunks"] + missing["entities"], unit="node",
                   desc=f"embedding into {space.id}", disable=as_json, leave=False)
        done = [0]

        def progress(report: BuildReport) -> None:
            now = report.chunks + report.entities
            bar.update(now - done[0])
            done[0] = now

        report = run_build(svc.store, space, svc.embedder_for(space), batch=batch_size,
                           entity_text=entity_text, on_batch=progress)
        bar.close()
    if as_json:
        echo_json(report.as_dict())
    else:
        click.echo(f"space {report.space}: {report.chunks} chunks and {report.entities} "
                   f"entities embedded in {report.seconds:.1f} s; state {report.state}. "
                   f"Next: kgrag drift --candidate {report.space}; "
                   f"kgrag embeddings activate {report.space}")


@embeddings.command()
@click.argument("space_id")
@one_line_errors
def activate(space_id: str) -> None:
    """Make SPACE_ID the active space (one transaction; rollback undoes it)."""
    from graph.spaces import activate as run_activate

    with open_services() as svc:
        space = run_activate(svc.store, space_id)
    click.echo(f"active embedding space: {space.id} ({space.model_id}); "
               f"previous: {space.previous or 'none'}")


@embeddings.command()
@one_line_errors
def rollback() -> None:
    """Re-activate the space the active one replaced."""
    from graph.spaces import rollback as run_rollback

    with open_services() as svc:
        space = run_rollback(svc.store)
    click.echo(f"rolled back: active embedding space is {space.id} ({space.model_id})")


@embeddings.command()
@click.argument("space_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@one_line_errors
def drop(space_id: str, yes: bool) -> None:
    """Delete SPACE_ID's vectors, indexes and record (refuses the active space)."""
    from graph.spaces import drop as run_drop
    from graph.spaces import get_space

    with open_services() as svc:
        space = get_space(svc.store, space_id)
        if space.state == "active":
            from ontology.errors import ConflictError

            raise ConflictError(f"space {space_id} is active; activate another one first")
        if not yes:
            click.confirm(f"delete every vector of space {space_id}?", abort=True)
        removed = run_drop(svc.store, space_id)
    click.echo(f"dropped space {space_id} ({removed} vectors removed)")


@click.command()
@click.option("--candidate", help="A built space to compare the active one with.")
@click.option("--record", is_flag=True,
              help="Store the active space's probe results as the reference to check later.")
@click.option("--sample", type=click.IntRange(1, 10_000), default=200, show_default=True,
              help="Probe chunks (the first N by content hash: the same every run).")
@click.option("--k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--questions", type=click.Path(exists=True, dir_okay=False),
              help="Probe questions: JSONL with a 'question' field, or one per line.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def drift(candidate: str | None, record: bool, sample: int, k: int, questions: str | None,
          as_json: bool) -> None:
    """Drift figures: the active space against a candidate space, or against its
    stored reference (cosine shift of the probe vectors, overlap of top-k results)."""
    from graph.drift import check_reference, compare_spaces, record_reference
    from graph.spaces import get_space

    probes = _probe_questions(questions) if questions else []
    with open_services() as svc:
        active = svc.active_space()
        pair = (active, svc.embedder_for(active))
        if record:
            n = record_reference(svc.store, *pair, sample=sample, k=k, questions=probes)
            out: dict[str, Any] = {"recorded": n, "space": active.id, "k": k}
        elif candidate:
            other = get_space(svc.store, candidate)
            out = compare_spaces(svc.store, pair, (other, svc.embedder_for(other)),
                                 sample=sample, k=k, questions=probes)
        else:
            out = check_reference(svc.store, *pair)
    if as_json:
        echo_json(out)
        return
    if record:
        click.echo(f"drift reference recorded: {out['recorded']} probes in {out['space']} "
                   f"(k={k})")
        return
    head = (f"{out['active']['id']} -> {out['candidate']['id']}" if candidate
            else f"{out['space']['id']} now vs reference of {out['recorded_at']}")
    click.echo(f"drift {head}")
    for what in ("chunks", "questions", "reference"):
        if what in out:
            f = out[what]
            shift = "n/a (dimensions differ)" if f["cosine_shift"] is None else \
                f"{f['cosine_shift']:.6f}"
            click.echo(f"  {what:<9} probes {f['probes']:<5} top-{f['k']} overlap "
                       f"{f['topk_overlap']:.3f} (min {f['min_overlap']:.3f})  "
                       f"mean cosine shift {shift}")


def _probe_questions(path: str) -> list[str]:
    from ontology.errors import InvalidInputError

    out = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if path.endswith(".jsonl"):
            try:
                out.append(str(json.loads(line)["question"]))
            except (ValueError, KeyError, TypeError):
                raise InvalidInputError(f"{path}:{lineno}: expected a JSON object with a "
                                        "'question'") from None
        else:
            out.append(line.strip())
    return out


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@one_line_errors
def versions(as_json: bool) -> None:
    """What is active: embedding space, models, ontology, pipeline and prompt versions."""
    from service.governance import current_versions

    with open_services() as svc:
        out = current_versions(svc)
    if as_json:
        echo_json(out)
        return
    active = out["embedding_space"]
    click.echo(f"embedding space   {active['id']} ({active['model_id']}, dim "
               f"{active['dimension']})" if active else "embedding space   none (run db init)")
    for s in out["other_spaces"]:
        click.echo(f"  also            {s['id']} ({s['state']}, {s['model_id']})")
    for key in ("spacy_model", "ontology_version", "pipeline_version", "generator",
                "prompt_version"):
        click.echo(f"{key.replace('_', ' '):<17} {out[key]}")
