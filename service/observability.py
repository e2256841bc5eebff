"""Request ids, one JSON log line per request, Prometheus metrics.

Each app owns its metrics registry (no module-level state), so tests can build
many apps.  Under gunicorn with several workers each worker counts for itself
unless ``PROMETHEUS_MULTIPROC_DIR`` is set, in which case ``/metrics`` merges
the workers' files (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

ACCESS_LOGGER = "kgrag.access"
REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_STAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


@dataclass(frozen=True, slots=True)
class Metrics:
    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    stages: Histogram
    guards: Counter

    @classmethod
    def create(cls) -> Metrics:
        reg = CollectorRegistry(auto_describe=True)
        return cls(
            registry=reg,
            requests=Counter("kgrag_http_requests", "HTTP requests by route template and status",
                             ["method", "route", "status"], registry=reg),
            latency=Histogram("kgrag_http_request_duration_seconds",
                              "HTTP request latency by route template and status",
                              ["method", "route", "status"], buckets=_LATENCY_BUCKETS,
                              registry=reg),
            stages=Histogram("kgrag_retrieval_stage_seconds",
                             "Retrieval stage latency (analyse, seed_*, expand, rank, ...)",
                             ["stage", "mode"], buckets=_STAGE_BUCKETS, registry=reg),
            guards=Counter("kgrag_guard_verdicts", "Answer guard verdicts",
                           ["guard", "verdict"], registry=reg),
        )

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)
            return generate_latest(merged)
        return generate_latest(self.registry)


def metrics(app: Flask | None = None) -> Metrics:
    found: Metrics = (app or current_app).extensions["kgrag.metrics"]
    return found


def observe_retrieval(timings_ms: Mapping[str, float], mode: str) -> None:
    """Record a retrieval's stage timings (``Retrieval.timings_ms``)."""
    hist = metrics().stages
    for stage, ms in timings_ms.items():
        hist.labels(stage=stage, mode=mode).observe(max(0.0, float(ms)) / 1000)


def observe_guards(guards: Iterable[Mapping[str, str]]) -> None:
    """Count guard verdicts (the ``guards`` of an answer, as dicts)."""
    counter = metrics().guards
    for verdict in guards:
        counter.labels(guard=verdict["name"], verdict=verdict["verdict"]).inc()


def metrics_response() -> Response:
    return Response(metrics().exposition(), content_type=CONTENT_TYPE_LATEST)


def request_id_for(header: str | None) -> str:
    """The caller's id when it is a sane token of at most 128 characters, else a uuid4."""
    if header and _SANE_ID.match(header):
        return header
    return str(uuid.uuid4())


def _access_logger(level: str) -> logging.Logger:
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(getattr(h, "_kgrag", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler._kgrag = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False  # one JSON object per line, without the root's prefix
    return logger


def init_observability(app: Flask, log_level: str = "INFO") -> None:
    """Request ids, access log and metrics for every request of ``app``."""
    app.extensions["kgrag.metrics"] = Metrics.create()
    access = _access_logger(log_level)

    @app.before_request
    def _start() -> None:
        g.request_id = request_id_for(request.headers.get(REQUEST_ID_HEADER))
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = g.get("request_id") or request_id_for(None)
        response.headers[REQUEST_ID_HEADER] = rid
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        status = str(response.status_code)
        m = metrics(app)
        m.requests.labels(method=request.method, route=route, status=status).inc()
        m.latency.labels(method=request.method, route=route, status=status).observe(elapsed)
        principal = g.get("principal")
        access.info(json.dumps({
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "event": "request",
            "method": request.method, "route": route, "path": request.path,
            "status": response.status_code, "duration_ms": round(elapsed * 1000, 2),
            "request_id": rid, "principal": principal.name if principal else None,
        }))
        return response
