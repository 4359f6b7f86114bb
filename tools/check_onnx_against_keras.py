"""Check that the converted ONNX U-Nets reproduce the original Keras networks.

Loads the original HDF5 weights into the architecture built by pyliverlesionseg's own code under
tensorflow-cpu 2.15, runs both networks on the same input window and prints the largest absolute difference
of the output probabilities. Dev-only: needs a separate environment with tensorflow-cpu==2.15.*, h5py and
onnxruntime; nothing in Hepatica imports this.

    python tools/check_onnx_against_keras.py WHEEL [--input window.npy ...]

``--input`` takes a network input window saved by ``hepatica segment --save-network-inputs`` (real CT after
Hepatica's preprocessing); without it a seeded random window is used.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import types
import zipfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

MODELS = Path(__file__).resolve().parents[1] / "src" / "hepatica" / "segment" / "models"


def _keras_2_import_shims() -> None:
    """pyliverlesionseg imports Keras 2.2 module paths; map them onto tf.keras 2.15."""
    from tensorflow import keras

    layers = keras.layers
    for name in ("keras.layers.convolutional", "keras.layers.advanced_activations", "keras.layers.normalization"):
        module = types.ModuleType(name)
        module.__dict__.update(vars(layers))
        sys.modules[name] = module
    sys.modules["keras"] = keras
    sys.modules["keras.layers"] = layers
    sys.modules["keras.models"] = keras.models
    sys.modules["keras.backend"] = keras.backend
    sys.modules["keras.regularizers"] = keras.regularizers


def _keras_model(wheel: Path, which: str, workdir: Path):
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(workdir)
    sys.path.insert(0, str(workdir / "pyliverlesionseg" / "architectures"))
    _keras_2_import_shims()
    from unet_generalized import create_unet_like_model  # the package's own architecture code

    k331, k333 = (3, 3, 1), (3, 3, 3)
    common = dict(
        number_input_features=1,
        kernel_sizes_per_pathway=[[[k331, k333], [k333, k331]]] * 3 + [[[k333 if which == "liver" else k331, k333], []]],
        number_features_per_pathway=[[[20, 40], [40, 20]], [[40, 80], [80, 40]], [[80, 160], [160, 80]], [[160, 160], []]],
        mask_output=False,
        verbose=False,
    )
    if which == "liver":
        model = create_unet_like_model(
            subsample_factors_per_pathway=[(1, 1, 1), (3, 3, 3), (9, 9, 9), (27, 27, 27)],
            output_size=[163, 136, 136], padding="same", upsampling="linear", **common,
        )
        hdf5 = next((workdir / "pyliverlesionseg" / "trained_models").glob("*liv_seg*.hdf5"))
    else:
        model = create_unet_like_model(
            subsample_factors_per_pathway=[(1, 1, 1), (2, 2, 2), (4, 4, 4), (8, 8, 8)],
            output_size=[92, 84, 42], padding="valid", upsampling="copy", residual_connections=True, **common,
        )
        hdf5 = next((workdir / "pyliverlesionseg" / "trained_models").glob("*lesion_seg*.hdf5"))
    model.load_weights(str(hdf5))
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--input", type=Path, action="append", default=[], help="window .npy (x, y, z), repeatable")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for which in ("liver", "lesion"):
            session = ort.InferenceSession(str(MODELS / f"{which}_unet.onnx"), providers=["CPUExecutionProvider"])
            shape = session.get_inputs()[0].shape[2:]
            model = _keras_model(args.wheel, which, Path(tmp) / which)
            windows = [np.load(p) for p in args.input if np.load(p, mmap_mode="r").shape == tuple(shape)]
            if not windows:
                windows = [np.random.default_rng(0).uniform(-0.5, 0.5, shape).astype(np.float32)]
            for window in windows:
                keras_out = model.predict(window[None, ..., None].astype(np.float32), verbose=0)[0, ..., 0]
                onnx_out = session.run(None, {"image": window[None, None].astype(np.float32)})[0][0, 0]
                print(
                    f"{which}: window {window.shape}, max |keras - onnx| = {np.abs(keras_out - onnx_out).max():.2e}, "
                    f"voxels with p>0.5: keras {int((keras_out > 0.5).sum())}, onnx {int((onnx_out > 0.5).sum())}"
                )


if __name__ == "__main__":
    main()
