"""What the kgsite plugin logs while a test runs (MkDocs' loggers stop at WARNING unless told)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def plugin_messages(level: int = logging.DEBUG) -> Iterator[list[str]]:
    """The messages of the plugin's logger at ``level`` and above, as they come."""
    messages: list[str] = []
    handler = logging.Handler(level)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("mkdocs.plugins.generator.plugin")
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)
