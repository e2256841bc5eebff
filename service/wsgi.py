"""WSGI entry point for gunicorn (``kgrag serve``): ``service.wsgi:app``.

Settings come from the environment (``KGRAG_*``, ``NEO4J_*``); models load on
each worker's first request that needs them.
"""

from __future__ import annotations

from service.app import create_app

app = create_app()
