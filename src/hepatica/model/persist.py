"""A fitted model on disk: the scikit-learn pipeline (joblib) and beside it a JSON card saying what it predicts from
which columns and what fitted it, so that a table can be checked before the model is applied to it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import joblib
import sklearn

from hepatica import __version__
from hepatica.errors import HepaticaInputError
from hepatica.io.atomic import atomic_path, write_text_atomic


@dataclass(frozen=True)
class ModelCard:
    """What a saved model needs to be used again: its name, the outcome, the feature columns in order."""

    name: str
    outcome: str
    features: list[str]
    hepatica_version: str = __version__
    sklearn_version: str = sklearn.__version__
    notes: dict = field(default_factory=dict)


def save_model(pipeline, card: ModelCard, folder: Path | str) -> Path:
    """Write ``folder/model.joblib`` and ``folder/model.json`` atomically; the folder."""
    folder = Path(folder)
    with atomic_path(folder / "model.joblib") as tmp:
        joblib.dump(pipeline, tmp)
    write_text_atomic(folder / "model.json", json.dumps(asdict(card), indent=2) + "\n")
    return folder


def load_model(folder: Path | str):
    """(pipeline, card) saved by :func:`save_model`. Only load models from sources you trust: joblib files can run
    code when read."""
    folder = Path(folder)
    if not (folder / "model.joblib").is_file() or not (folder / "model.json").is_file():
        raise HepaticaInputError(
            f"{folder}: no saved model here (model.joblib and model.json); give the folder "
            "that hepatica saved the model in"
        )
    card = ModelCard(**json.loads((folder / "model.json").read_text(encoding="utf-8")))
    return joblib.load(folder / "model.joblib"), card
