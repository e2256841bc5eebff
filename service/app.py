"""The application factory."""

from __future__ import annotations

import atexit
import logging

from flask import Flask

from service.errors import register_error_handlers
from service.settings import Settings
from service.wiring import Services


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the adapters once, keep them on the app, register blueprints."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    app = Flask("kgrag")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    svc = services or Services.from_settings(settings)
    app.extensions["kgrag"] = svc

    from service.blueprints.health import bp as health_bp

    app.register_blueprint(health_bp)
    register_error_handlers(app)
    # The driver is shared by every request and closed once, when the process ends.
    atexit.register(svc.close)
    return app


def services(app: Flask) -> Services:
    svc: Services = app.extensions["kgrag"]
    return svc
