"""The ranker's trees compiled to machine code give LightGBM's scores, and are compiled once per machine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pingan.anpr import compiled_trees
from pingan.anpr.features import FEATURES
from pingan.anpr.ranking import BoostedRanker, Ranker
from pingan.config import settings


@pytest.fixture
def setting(monkeypatch: pytest.MonkeyPatch):
    """Set a PINGAN_* variable; compiled models are forgotten before and after, so each test compiles anew."""
    def set_env(name: str, value: str) -> None:
        monkeypatch.setenv(name, value)
        settings.cache_clear()

    compiled_trees._compiled.clear()
    yield set_env
    settings.cache_clear()
    compiled_trees._compiled.clear()


def shipped() -> BoostedRanker:
    ranker = Ranker.default()
    assert isinstance(ranker, BoostedRanker)
    return ranker


def inputs_at_every_threshold(ranker: BoostedRanker, rows: int = 4000) -> np.ndarray:
    """Vehicles whose inputs sit exactly on the models' split thresholds, just either side of them, or are
    missing: where a compiled comparison that differs from LightGBM's (< against <=, NaN) would show."""
    rng = np.random.default_rng(7)
    thresholds: dict[int, list[float]] = {}

    def walk(node: dict) -> None:
        if "split_feature" in node:
            thresholds.setdefault(node["split_feature"], []).append(float(node["threshold"]))
            walk(node["left_child"])
            walk(node["right_child"])

    for booster in ranker._boosters:
        for tree in booster.dump_model()["tree_info"]:
            walk(tree["tree_structure"])
    x = rng.normal(size=(rows, len(ranker._features)))
    for feature, values in thresholds.items():
        picks = rng.choice(np.array(values), size=rows)
        nudge = rng.choice([0.0, 0.0, np.nextafter(0, 1), -1e-12, 1e-12], size=rows)
        x[:, feature] = picks + nudge
    x[rng.random(x.shape) < 0.02] = np.nan
    return x


def test_compiled_trees_score_as_lightgbm_does(setting, tmp_path: Path) -> None:
    setting("PINGAN_CACHE_DIR", str(tmp_path))
    ranker = shipped()
    x = inputs_at_every_threshold(ranker)
    for model, booster in zip(ranker.models, ranker._boosters, strict=True):
        predict = compiled_trees.compiled(model)
        assert predict is not None
        assert np.abs(predict(x) - booster.predict(x)).max() < 1e-12


def test_a_model_is_compiled_once_then_loaded_from_the_cache(setting, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import lleaves.lleaves

    setting("PINGAN_CACHE_DIR", str(tmp_path))
    model, booster = shipped().models[0], shipped()._boosters[0]
    assert compiled_trees.compiled(model) is not None
    files = list(tmp_path.glob("trees-*.o"))
    assert len(files) == 1 and files[0].stat().st_size > 0
    assert not [p for p in tmp_path.iterdir() if p.is_dir()]  # no scratch folder left behind

    # a new process (here: the in-process store of compiled models forgotten) loads the file, compiles nothing
    compiled_trees._compiled.clear()

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled again although the cache holds the model")

    monkeypatch.setattr(lleaves.lleaves.compiler, "compile_to_module", no_compiling)
    predict = compiled_trees.compiled(model)
    assert predict is not None
    x = inputs_at_every_threshold(shipped(), rows=500)
    assert np.abs(predict(x) - booster.predict(x)).max() < 1e-12


def test_without_a_writable_cache_the_trees_are_still_compiled(setting, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    setting("PINGAN_CACHE_DIR", str(blocker / "pingan"))
    assert compiled_trees.cache_dir() is None
    assert compiled_trees.compiled(shipped().models[0]) is not None


def test_the_setting_turns_compiled_trees_off(setting, tmp_path: Path) -> None:
    setting("PINGAN_CACHE_DIR", str(tmp_path))
    setting("PINGAN_COMPILED_TREES", "0")
    ranker = BoostedRanker(shipped().models, shipped().slope, shipped().intercept)
    assert ranker.engine == "lightgbm"
    setting("PINGAN_COMPILED_TREES", "1")
    fast = BoostedRanker(shipped().models, shipped().slope, shipped().intercept)
    assert fast.engine == "compiled"
    rng = np.random.default_rng(3)
    vehicles = pd.DataFrame(rng.exponential(size=(1000, len(FEATURES))), columns=list(FEATURES))
    vehicles["watchlisted"] = rng.random(1000) < 0.3
    assert np.abs(fast.score(vehicles) - ranker.score(vehicles)).max() < 1e-12


def test_a_damaged_compiled_file_is_compiled_again_not_loaded(setting, tmp_path: Path) -> None:
    """LLVM aborts the process on a damaged object file: the checksum in the name keeps it from being loaded."""
    setting("PINGAN_CACHE_DIR", str(tmp_path))
    model, booster = shipped().models[0], shipped()._boosters[0]
    assert compiled_trees.compiled(model) is not None
    (damaged,) = tmp_path.glob("trees-*.o")
    damaged.write_bytes(damaged.read_bytes()[:5000])  # a copy cut short, as a full disk leaves it
    compiled_trees._compiled.clear()
    predict = compiled_trees.compiled(model)  # without the check, the process would end here
    assert predict is not None
    x = inputs_at_every_threshold(shipped(), rows=300)
    assert np.abs(predict(x) - booster.predict(x)).max() < 1e-12
    (again,) = tmp_path.glob("trees-*.o")
    assert again.stat().st_size > 5000
