"""Process-wide settings that one piece of work changes for its duration.

Ingestion shortens the GIL switch interval and gives torch every core while it
runs; the REST API may run two ingestions at once, so a plain save-and-restore
would leave whatever the later one saved.  A :class:`ProcessSetting` is changed
by its first user and put back by its last.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessSetting(Generic[T]):
    """A setting read by ``get`` and written by ``put``, shared by overlapping users."""

    def __init__(self, get: Callable[[], T], put: Callable[[T], object]) -> None:
        self._get, self._put = get, put
        self._lock = threading.Lock()
        self._users = 0
        self._saved: T | None = None

    @contextmanager
    def using(self, value: T) -> Iterator[None]:
        """``value`` meanwhile (the first user's value, if others overlap)."""
        with self._lock:
            if self._users == 0:
                self._saved = self._get()
                self._put(value)
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._saved is not None:
                    self._put(self._saved)
                    self._saved = None
