"""The application factory."""

from __future__ import annotations

import atexit
import logging

from flask import Flask

from service.errors import register_error_handlers
from service.settings import Settings
from service.wiring import Services


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the adapters once, keep them on the app, register blueprints.

    ``services`` lets tests share one set of adapters (and loaded models) across apps;
    an app that built its own closes them when the process ends.
    """
    settings = settings or (services.settings if services else Settings.from_env())
    logging.basicConfig(level=settings.log_level)
    app = Flask("kgrag")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    svc = services or Services.from_settings(settings)
    app.extensions["kgrag"] = svc
    app.extensions["kgrag.settings"] = settings  # the HTTP edge's (may differ from svc's)

    from service.blueprints import audit, documents, entities, feedback, meta, search
    from service.blueprints.health import bp as health_bp
    from service.observability import init_observability

    init_observability(app, settings.log_level)  # first: request ids for everything after
    api = meta.configure(app)
    app.register_blueprint(health_bp)
    meta.document_health(app, api)
    for module in (search, documents, entities, feedback, audit, meta):
        api.register_blueprint(module.bp)
    register_error_handlers(app)
    if services is None:
        # The driver is shared by every request and closed once, when the process ends.
        atexit.register(svc.close)
    return app


def services(app: Flask) -> Services:
    svc: Services = app.extensions["kgrag"]
    return svc
