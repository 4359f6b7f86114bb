"""Check that the converted ONNX U-Nets reproduce the original Keras networks.

Loads the original HDF5 weights into the architecture built by pyliverlesionseg's own code under
tensorflow-cpu 2.15, runs both networks on the same input windows and prints the largest absolute difference
of the output probabilities. Dev-only: needs a separate environment with tensorflow-cpu==2.15.* (numpy<2),
h5py, onnxruntime and Hepatica; nothing in Hepatica imports this.

    python tools/check_onnx_against_keras.py WHEEL [--ct DICOM_FOLDER]

With ``--ct`` the windows are the real ones Hepatica's bundled backend feeds the networks when segmenting that
CT (captured during ``hepatica.segment.segment``); without it, one seeded random window per network.
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


def _keras_model(wheel: Path, which: str, workdir: Path, output_size: tuple[int, int, int]):
    if not (workdir / "pyliverlesionseg").exists():
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(workdir)
    sys.path.insert(0, str(workdir / "pyliverlesionseg" / "architectures"))
    _keras_2_import_shims()
    from unet_generalized import create_unet_like_model  # the package's own architecture code

    k331, k333 = (3, 3, 1), (3, 3, 3)
    common = dict(
        number_input_features=1,
        kernel_sizes_per_pathway=[[[k331, k333], [k333, k331]]] * 3
        + [[[k333 if which == "liver" else k331, k333], []]],
        number_features_per_pathway=[
            [[20, 40], [40, 20]],
            [[40, 80], [80, 40]],
            [[80, 160], [160, 80]],
            [[160, 160], []],
        ],
        mask_output=False,
        verbose=False,
    )
    if which == "liver":
        model = create_unet_like_model(
            subsample_factors_per_pathway=[(1, 1, 1), (3, 3, 3), (9, 9, 9), (27, 27, 27)],
            output_size=list(output_size),
            padding="same",
            upsampling="linear",
            **common,
        )
        hdf5 = next((workdir / "pyliverlesionseg" / "trained_models").glob("*liv_seg*.hdf5"))
    else:
        model = create_unet_like_model(
            subsample_factors_per_pathway=[(1, 1, 1), (2, 2, 2), (4, 4, 4), (8, 8, 8)],
            output_size=list(output_size),
            padding="valid",
            upsampling="copy",
            residual_connections=True,
            **common,
        )
        hdf5 = next((workdir / "pyliverlesionseg" / "trained_models").glob("*lesion_seg*.hdf5"))
    model.load_weights(str(hdf5))
    return model


def _windows_from_ct(folder: Path) -> dict[str, list[np.ndarray]]:
    """The input windows Hepatica's bundled backend gives each network while segmenting the CT in ``folder``."""
    from hepatica.io import load_dicom_series, scan_dicom_folder
    from hepatica.segment import bundled

    captured: dict[str, list[np.ndarray]] = {"liver": [], "lesion": []}
    original_run = bundled.OnnxUNet.run

    def capture(self, window, **options):
        captured[self.name].append(window.copy())
        return original_run(self, window, **options)

    bundled.OnnxUNet.run = capture
    try:
        bundled.BundledBackend().segment(load_dicom_series(scan_dicom_folder(folder).series[0]))
    finally:
        bundled.OnnxUNet.run = original_run
    return captured


def _first_normalisation(model, session_path: Path, window: np.ndarray) -> str:
    """Where do Keras and ONNX differ first? Compare their first instance-normalisation layer with float64."""
    import onnx
    from onnx import TensorProto, helper
    from tensorflow import keras

    norm = next(layer for layer in model.layers if layer.name.startswith("lambda"))
    conv_out, keras_norm = keras.Model(model.input, [norm.input, norm.output]).predict(
        window[None, ..., None], verbose=0
    )
    graph = onnx.load(str(session_path))
    first_norm = next(n for n in graph.graph.node if n.op_type == "LeakyRelu").input[0]
    graph.graph.output.append(helper.make_tensor_value_info(first_norm, TensorProto.FLOAT, None))
    onnx_norm = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"]).run(
        [first_norm], {"image": window[None, None]}
    )[0]
    x = conv_out[0].astype(np.float64)
    exact = (x - x.mean(axis=(0, 1, 2))) / (x.std(axis=(0, 1, 2)) + 1e-7)
    return (
        f"first normalisation layer vs float64: keras max {np.abs(keras_norm[0] - exact).max():.1e}, "
        f"onnx max {np.abs(np.moveaxis(onnx_norm[0], 0, -1) - exact).max():.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("--ct", type=Path, help="DICOM folder of a CT to take the network inputs from")
    parser.add_argument(
        "--keras-outputs",
        type=Path,
        help="folder: save Keras outputs there, or, where saved by an earlier run (e.g. with "
        "TF_ENABLE_ONEDNN_OPTS=0), also print how far this run's Keras outputs are from them",
    )
    args = parser.parse_args()
    windows = (
        _windows_from_ct(args.ct)
        if args.ct
        else {
            "liver": [np.random.default_rng(0).uniform(-0.5, 0.5, (189, 162, 162)).astype(np.float32)],
            "lesion": [np.random.default_rng(0).uniform(-0.5, 0.5, (180, 172, 86)).astype(np.float32)],
        }
    )
    margins = {"liver": (13, 13, 13), "lesion": (44, 44, 22)}  # (input - output) / 2 of each network
    with tempfile.TemporaryDirectory() as tmp:
        for which in ("liver", "lesion"):
            session = ort.InferenceSession(str(MODELS / f"{which}_unet.onnx"), providers=["CPUExecutionProvider"])
            models = {}
            for number, window in enumerate(windows[which]):
                output_size = tuple(n - 2 * m for n, m in zip(window.shape, margins[which]))
                if output_size not in models:  # Keras graphs have a fixed size: one per window size
                    models[output_size] = _keras_model(args.wheel, which, Path(tmp), output_size)
                model = models[output_size]
                keras_out = model.predict(window[None, ..., None].astype(np.float32), verbose=0)[0, ..., 0]
                onnx_out = session.run(None, {"image": window[None, None].astype(np.float32)})[0][0, 0]
                if args.keras_outputs:
                    saved = args.keras_outputs / f"{which}_{number}.npy"
                    if saved.exists():
                        print(
                            f"{which}: max |keras - keras of the earlier run| = "
                            f"{np.abs(keras_out - np.load(saved)).max():.2e}"
                        )
                    else:
                        args.keras_outputs.mkdir(parents=True, exist_ok=True)
                        np.save(saved, keras_out)
                print(
                    f"{which}: window {window.shape}, max |keras - onnx| = {np.abs(keras_out - onnx_out).max():.2e}, "
                    f"mean {np.abs(keras_out - onnx_out).mean():.1e}, "
                    f"voxels with p>0.5: keras {int((keras_out > 0.5).sum())}, onnx {int((onnx_out > 0.5).sum())}"
                )
                if number == 0:
                    print(f"{which}: " + _first_normalisation(model, MODELS / f"{which}_unet.onnx", window))


if __name__ == "__main__":
    main()
