"""Fitted scikit-learn models in the shop folder, saved and loaded without pickle.

Why: opening a shop used to unpickle `models/*.joblib`, so anyone who could drop a file into a shop
folder (a shared backup, a copied demo shop) ran code in the server. skops' format stores the object
tree as data; loading builds only types we allow: scikit-learn, NumPy, SciPy and daogou's own model
classes. A file naming any other type (os.system, builtins.eval, subprocess...) is refused with a
clear error instead of being run. Old `.joblib` files are never loaded: retrain to replace them.
"""

from __future__ import annotations

from pathlib import Path

from daogou import atomic
from daogou.errors import DaogouError

SUFFIX = ".skops"
#: Module prefixes whose types a model file may contain.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "numpy", "scipy.", "daogou.understand.", "daogou.classifying", "builtins.")
#: Built-in names a model may hold (containers and scalars); anything else from builtins is refused.
TRUSTED_BUILTINS = {"builtins.dict", "builtins.list", "builtins.tuple", "builtins.set", "builtins.str", "builtins.int", "builtins.float",
                    "builtins.bool", "builtins.slice", "builtins.frozenset", "builtins.bytes", "builtins.NoneType"}


class UntrustedModel(DaogouError):
    """A model file that names types outside the allowlist (tampered, or written by something else)."""


def path_for(base: Path) -> Path:
    """The artifact file for a model stem, e.g. models/sentiment → models/sentiment.skops."""
    return base.with_suffix(SUFFIX)


def exists(base: Path) -> bool:
    return path_for(base).exists()


def save(model: object, base: Path) -> Path:
    """Write `model` atomically next to its card; returns the file written."""
    import skops.io as sio

    target = path_for(base)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_with(target, lambda tmp: sio.dump(model, tmp))
    return target


def _allowed(name: str) -> bool:
    if name.startswith("builtins."):
        return name in TRUSTED_BUILTINS
    return name.startswith(TRUSTED_PREFIXES)


def load(base: Path) -> object:
    """Load a model written by `save`, refusing any type outside the allowlist."""
    import skops.io as sio

    target = path_for(base)
    try:
        untrusted = sio.get_untrusted_types(file=target)
    except Exception as exc:  # corrupt zip or schema: say which file, not a traceback
        raise UntrustedModel(f"{target.name} is not a readable model file ({exc.__class__.__name__}); retrain it") from exc
    refused = sorted(t for t in untrusted if not _allowed(t))
    if refused:
        raise UntrustedModel(f"{target.name} names types daogou does not load: {refused[:5]}; retrain it")
    try:
        return sio.load(target, trusted=untrusted)
    except Exception as exc:
        raise UntrustedModel(f"{target.name} could not be loaded ({exc.__class__.__name__}); retrain it") from exc
