"""Exceptions a user of daogou can see.

Every error that reaches the CLI or the API is one of these, so the message can be shown as it is
(no traceback) and the HTTP layer can map it to a status code without guessing.
"""

from __future__ import annotations


class DaogouError(Exception):
    """Base class: a problem the user can act on, with a message that says what to do."""


class ShopNotFound(DaogouError):
    """The path given is not an initialised shop directory."""


class ConfigError(DaogouError):
    """daogou.toml or an environment variable holds a value we cannot use."""


class ImportFailed(DaogouError):
    """A catalog file could not be read at all (not one bad row: those are reported and skipped)."""


class ModelUnavailable(DaogouError):
    """A configured model cannot be loaded here (missing package, missing local directory, no network)."""


class IndexMismatch(DaogouError):
    """An index file was built by other models or dimensions than the ones now configured."""


class IndexMissing(DaogouError):
    """Search was asked for before `daogou index` built the indexes."""


class BadQuery(DaogouError):
    """A query we refuse to run: empty, too long, unreadable image, unknown filter field."""


class UnknownProduct(DaogouError):
    """A product id that is not in the catalog."""
