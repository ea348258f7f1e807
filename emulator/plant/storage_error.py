"""The one error of the history store, apart so the engines can catch it without importing it."""

from __future__ import annotations


class StorageError(Exception):
    """The history database cannot be opened or written; the message says which file and why."""
