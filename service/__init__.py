"""The kgrag service: Flask app factory, blueprints, CLI."""

from __future__ import annotations

from service.app import create_app
from service.settings import Settings

__all__ = ["Settings", "create_app"]
