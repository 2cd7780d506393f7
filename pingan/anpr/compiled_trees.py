"""Tree models compiled to machine code: the boosted ranker's first pass over every vehicle, 4-5x faster.

A busy daytime area sees twenty thousand vehicles or more, and every one is scored by five LightGBM models
of 200 trees: 83 ms of a query on two cores. lleaves compiles each model's trees to native code through LLVM
(the thresholds become constants in the instructions, no tree is walked in memory): 7 ms a model on one core,
the same scores to the last few bits (within 1e-12; tests/anpr/test_compiled_trees.py checks it).

Compiling takes about half a second a model, so each compiled model is kept, as an object file, in the cache
folder (``PINGAN_CACHE_DIR``, by default ``$XDG_CACHE_HOME/pingan`` or ``~/.cache/pingan``), named by the
model's text, the compiler's version and this machine's CPU (a copy made for another CPU or another model is
never loaded) and by a checksum of its content (a damaged copy is compiled again, never loaded). When
lleaves is missing or fails, or ``PINGAN_COMPILED_TREES=0``, LightGBM predicts as before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pingan import config

log = logging.getLogger(__name__)

#: LightGBM's kZeroThreshold: inputs this close to zero are zero to it.
LIGHTGBM_ZERO = 1.0000000180025095e-35

Predict = Callable[[np.ndarray], np.ndarray]

_compiled: dict[str, Predict | None] = {}
_lock = threading.Lock()  # the server scores on several threads; a model is compiled once


def compiled(model_text: str) -> Predict | None:
    """A function giving the model's raw scores for a float64 matrix (rows: vehicles, columns: the model's
    features), or None when trees cannot be compiled here (the caller then asks LightGBM)."""
    if not config.settings().compiled_trees:
        return None
    digest = hashlib.sha256(model_text.encode("utf-8")).hexdigest()
    with _lock:
        if digest not in _compiled:
            _compiled[digest] = _compile(model_text, digest)
        return _compiled[digest]


def _compile(model_text: str, digest: str) -> Predict | None:
    try:
        from importlib.metadata import version

        import lleaves
        import llvmlite.binding as llvm
    except ImportError:
        return None
    try:
        cpu = f"{llvm.get_host_cpu_name()} {llvm.get_host_cpu_features().flatten()}"
        stamp = hashlib.sha256(
            f"{digest} lleaves {version('lleaves')} llvmlite {version('llvmlite')} {cpu}".encode()).hexdigest()
        folder = cache_dir()
        cached = _intact(folder, stamp[:32]) if folder is not None else None
        # the scratch folder inside the cache folder: the compiled file is moved, not copied, into place
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            model_file = Path(scratch) / "model.txt"
            model_file.write_text(model_text, encoding="utf-8")
            model = lleaves.Model(model_file=str(model_file))
            if cached is not None:
                model.compile(cache=str(cached))
            elif folder is not None:
                # compiled into the scratch folder, then moved: another process never loads half a file
                fresh = Path(scratch) / "trees.o"
                model.compile(cache=str(fresh))
                if fresh.exists():
                    os.replace(fresh, folder / f"trees-{stamp[:32]}-{_checksum(fresh)}.o")
            else:
                model.compile()
    except Exception as exc:  # a compiler problem must not stop a query: LightGBM gives the same scores
        log.warning("tree models not compiled (LightGBM predicts instead): %s", exc)
        return None

    def predict(x: np.ndarray) -> np.ndarray:
        # LightGBM reads any input within 1e-35 of zero as zero (its splits near zero sit at +-1e-35)
        return model.predict(np.where(np.abs(x) <= LIGHTGBM_ZERO, 0.0, x), n_jobs=1)

    return predict


def _checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _intact(folder: Path, stamp: str) -> Path | None:
    """The compiled file for ``stamp`` whose content still matches the checksum in its name. LLVM aborts the
    whole process on a damaged object file (a disk that filled up, a copy cut short), so a file that does
    not match is removed and the model compiled again."""
    for path in sorted(folder.glob(f"trees-{stamp}-*.o")):
        if path.stem.rsplit("-", 1)[-1] == _checksum(path):
            return path
        path.unlink(missing_ok=True)
    return None


def cache_dir() -> Path | None:
    """Where compiled models are kept (made if missing), or None when it cannot be written."""
    folder = config.settings().cache_dir
    if folder is None:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "pingan"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None
