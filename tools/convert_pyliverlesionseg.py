"""Convert the pyliverlesionseg 0.3 Keras weights to the ONNX models Hepatica ships.

pyliverlesionseg (Apache-2.0, KU Leuven; Tang et al., EJNMMI 2020) publishes two U-Nets as Keras HDF5
files that hold weights only, no architecture. This script rebuilds both networks as ONNX graphs from the
layer names and weight shapes in the HDF5 files and the architecture the package documents (a DeepVoxNet
"generalized U-Net": per-level 3x3x1 / 3x3x3 convolutions, instance normalisation before each activation,
leaky ReLU 0.01, max pooling, concatenating skips, sigmoid output). Nothing of the package's code is used.

Usage (needs h5py and onnx, both dev-only; runs in seconds)::

    pip download --no-deps --ignore-requires-python pyliverlesionseg==0.3 -d /tmp/plls
    python tools/convert_pyliverlesionseg.py /tmp/plls/pyliverlesionseg-0.3-py3-none-any.whl

It writes ``src/hepatica/segment/models/{liver,lesion}_unet.onnx`` and ``SHA256SUMS`` there. The output is
byte-for-byte reproducible (fixed node names, no timestamps).

Tensor layout in the ONNX graphs: ``(batch, channel, x, y, z)`` with the axes the networks were trained on:
index x grows towards the patient's right, y towards anterior, z towards the head (RAS).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
KERAS_EPSILON = 1e-7  # keras.backend.epsilon(), used by the instance-normalisation layers
LEAKY_ALPHA = 0.01

LIVER_HDF5 = (
    "pyliverlesionseg/trained_models/"
    "model_unet_ct_mr_liv_seg_resize_1.5mm_med_3_resize_3mm_20201011_dice_loss_val_binary_dice_mean.hdf5"
)
LESION_HDF5 = (
    "pyliverlesionseg/trained_models/"
    "model_unet_ct_mr_lesion_seg_resize_1mm_1mm_3mm_20220207_dice_loss_val_binary_dice_mean.hdf5"
)
OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "hepatica" / "segment" / "models"


@dataclass(frozen=True)
class UNetSpec:
    """A DeepVoxNet-style U-Net: per level, two convolutions down and two up (none up at the bottom)."""

    name: str
    level_factors: tuple[int, ...]  # cumulative isotropic subsampling per level
    down_kernels: tuple[tuple[tuple[int, int, int], ...], ...]
    up_kernels: tuple[tuple[tuple[int, int, int], ...], ...]
    down_features: tuple[tuple[int, ...], ...]
    up_features: tuple[tuple[int, ...], ...]
    padding: str  # "same" or "valid"
    upsampling: str  # "copy" (repeat) or "linear" (repeat, then a box filter of the same size)
    residual: bool
    output_size: tuple[int, int, int]  # the segment size the model was trained and used with (x, y, z)


K331, K333 = (3, 3, 1), (3, 3, 3)
LIVER = UNetSpec(
    name="liver",
    level_factors=(1, 3, 9, 27),
    down_kernels=((K331, K333),) * 3 + ((K333, K333),),
    up_kernels=((K333, K331),) * 3 + ((),),
    down_features=((20, 40), (40, 80), (80, 160), (160, 160)),
    up_features=((40, 20), (80, 40), (160, 80), ()),
    padding="same",
    upsampling="linear",
    residual=False,
    output_size=(163, 136, 136),
)
LESION = UNetSpec(
    name="lesion",
    level_factors=(1, 2, 4, 8),
    down_kernels=((K331, K333),) * 4,
    up_kernels=((K333, K331),) * 3 + ((),),
    down_features=((20, 40), (40, 80), (80, 160), (160, 160)),
    up_features=((40, 20), (80, 40), (160, 80), ()),
    padding="valid",
    upsampling="copy",
    residual=True,
    output_size=(92, 84, 42),
)


def _axis_output_size(spec: UNetSpec, n: int, axis: int) -> int | None:
    """Output length along one axis for input length ``n``, or None if the network cannot take ``n``."""
    shrink = (lambda k: k[axis] - 1) if spec.padding == "valid" else (lambda k: 0)
    left_sizes = []
    size = n
    previous = 1
    for factor, kernels in zip(spec.level_factors, spec.down_kernels):
        step = factor // previous
        previous = factor
        if size % step:
            return None
        size //= step
        for k in kernels:
            size -= shrink(k)
        if size <= 0:
            return None
        left_sizes.append(size)
    for level in range(len(spec.level_factors) - 2, -1, -1):
        step = spec.level_factors[level + 1] // spec.level_factors[level]
        size *= step
        if spec.upsampling == "linear":
            size -= step - 1
        difference = left_sizes[level] - size
        if difference < 0 or difference % 2:
            return None
        for k in spec.up_kernels[level]:
            size -= shrink(k)
        if size <= 0:
            return None
    return size


def input_size_for(spec: UNetSpec) -> tuple[int, int, int]:
    """Smallest input segment whose output is ``spec.output_size``."""
    sizes = []
    for axis, wanted in enumerate(spec.output_size):
        for n in range(wanted, wanted + 1000):
            if _axis_output_size(spec, n, axis) == wanted:
                sizes.append(n)
                break
        else:
            raise ValueError(f"{spec.name}: no input size gives output {wanted} on axis {axis}")
    return tuple(sizes)


class GraphBuilder:
    """Collects ONNX nodes and initializers while tracking each tensor's (channels, x, y, z) shape."""

    def __init__(self, weights: h5py.Group):
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.shapes: dict[str, tuple[int, int, int, int]] = {}
        self.counter = 0
        self.conv_index = 0
        self.used_layers: set[str] = set()

    def _name(self, op: str) -> str:
        self.counter += 1
        return f"{op.lower()}_{self.counter}"

    def _const(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def _node(self, op: str, inputs: list[str], shape: tuple[int, int, int, int], **attrs) -> str:
        out = self._name(op)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        self.shapes[out] = shape
        return out

    def conv(self, x: str | list[str], kernel: tuple[int, int, int], features: int, padding: str) -> str:
        """One Keras Conv3D layer. ``x`` may be a list of tensors that Keras concatenated along channels: each
        part then gets its slice of the kernel and the results are added, which is the same convolution
        without materialising the concatenation."""
        parts = [x] if isinstance(x, str) else x
        self.conv_index += 1
        layer = f"conv3d_{self.conv_index}"
        group = self.weights[layer][layer]
        w = np.asarray(group["kernel:0"], dtype=np.float32)
        b = np.asarray(group["bias:0"], dtype=np.float32)
        channels = [self.shapes[p][0] for p in parts]
        spatial = self.shapes[parts[0]][1:]
        if w.shape != (*kernel, sum(channels), features):
            raise ValueError(
                f"{layer}: HDF5 kernel {w.shape} but the architecture expects {(*kernel, sum(channels), features)}"
            )
        self.used_layers.add(layer)
        w_onnx = np.ascontiguousarray(w.transpose(4, 3, 0, 1, 2))  # Keras (kx,ky,kz,in,out) -> ONNX (out,in,kx,ky,kz)
        if padding == "same":
            pads = [(k - 1) // 2 for k in kernel] * 2
            out_spatial = spatial
        else:
            pads = [0] * 6
            out_spatial = tuple(s - k + 1 for s, k in zip(spatial, kernel))
        outputs, first = [], 0
        for n, (part, c) in enumerate(zip(parts, channels)):
            suffix = f".part{n}" if len(parts) > 1 else ""
            inputs = [part, self._const(f"{layer}.weight{suffix}", w_onnx[:, first : first + c])]
            if n == 0:
                inputs.append(self._const(f"{layer}.bias", b))
            outputs.append(self._node("Conv", inputs, (features, *out_spatial), kernel_shape=list(kernel), pads=pads))
            first += c
        result = outputs[0]
        for other in outputs[1:]:
            result = self.add(result, other)
        return result

    def instance_norm(self, x: str) -> str:
        """(x - mean) / (std + 1e-7) over the spatial axes, exactly the training code's normalisation layer.

        ONNX InstanceNormalization divides by sqrt(var + eps) instead, which differs where a channel is nearly
        constant over the window (common in lesion windows, mostly the -0.5 outside the liver), so the Keras
        form is spelled out."""
        stat = (self.shapes[x][0], 1, 1, 1)
        centred = self._node("Sub", [x, self._spatial_mean(x, squared=False)], self.shapes[x])
        std = self._node("Sqrt", [self._spatial_mean(centred, squared=True)], stat)
        eps = self._const(f"epsilon_{self.counter}", np.array(KERAS_EPSILON, dtype=np.float32))
        return self._node("Div", [centred, self._node("Add", [std, eps], stat)], self.shapes[x])

    def _spatial_mean(self, x: str, squared: bool) -> str:
        """Mean of x (or x squared) per channel, one axis at a time (z, then y, then x).

        A float32 mean over millions of voxels in one pass loses digits that matter once divided by a small
        standard deviation; means of means along one axis at a time (equal counts, so the same value) keep
        them. ReduceSumSquare avoids materialising the squared tensor."""
        c, nx, ny, _ = self.shapes[x]
        if squared:
            sums = self._node("ReduceSumSquare", [x], (c, nx, ny, 1), axes=[4], keepdims=1)
            length = self._node("Cast", [self._node("Shape", [x], (1,), start=4)], (1,), to=TensorProto.FLOAT)
            along_z = self._node("Div", [sums, length], (c, nx, ny, 1))
        else:
            along_z = self._node("ReduceMean", [x], (c, nx, ny, 1), axes=[4], keepdims=1)
        along_y = self._node("ReduceMean", [along_z], (c, nx, 1, 1), axes=[3], keepdims=1)
        return self._node("ReduceMean", [along_y], (c, 1, 1, 1), axes=[2], keepdims=1)

    def leaky_relu(self, x: str) -> str:
        return self._node("LeakyRelu", [x], self.shapes[x], alpha=LEAKY_ALPHA)

    def max_pool(self, x: str, step: int) -> str:
        if step == 1:
            return x
        c, *spatial = self.shapes[x]
        return self._node(
            "MaxPool", [x], (c, *[s // step for s in spatial]), kernel_shape=[step] * 3, strides=[step] * 3
        )

    def upsample(self, x: str, step: int, mode: str) -> str:
        """Upsample by ``step``: "copy" repeats each voxel; "linear" is DeepVoxNet's repeat followed by a
        ``step``-wide box filter without padding (n -> step * n - step + 1), which equals linear interpolation
        with the end samples aligned, so it is one trilinear Resize (align_corners) to that size."""
        if step == 1:
            return x
        c, *spatial = self.shapes[x]
        if mode == "copy":
            scales = self._const(f"scales_{self.counter}", np.array([1, 1, step, step, step], dtype=np.float32))
            return self._node(
                "Resize",
                [x, "", scales],
                (c, *[s * step for s in spatial]),
                mode="nearest",
                coordinate_transformation_mode="asymmetric",
                nearest_mode="floor",
            )
        # sizes = shape * (1, 1, step, step, step) - (0, 0, step - 1, ...), computed in the graph so that the
        # spatial sizes can stay free
        factor = self._const(f"factor_{self.counter}", np.array([1, 1, step, step, step], dtype=np.int64))
        shrink = self._const(f"shrink_{self.counter}", np.array([0, 0] + [step - 1] * 3, dtype=np.int64))
        shape = self._node("Shape", [x], (5,))
        sizes = self._node("Sub", [self._node("Mul", [shape, factor], (5,)), shrink], (5,))
        return self._node(
            "Resize",
            [x, "", "", sizes],
            (c, *[s * step - step + 1 for s in spatial]),
            mode="linear",
            coordinate_transformation_mode="align_corners",
        )

    def crop_to(self, x: str, target: str) -> str:
        """Centre-crop ``x`` to ``target``'s size. The margins are the same for every valid input size, so the
        Slice is written with negative ends and the graph accepts any valid window."""
        c, *spatial = self.shapes[x]
        _, *wanted = self.shapes[target]
        if spatial == wanted:
            return x
        margins = [(s - w) // 2 for s, w in zip(spatial, wanted)]
        starts = self._const(f"starts_{self.counter}", np.array(margins, dtype=np.int64))
        ends = self._const(
            f"ends_{self.counter}", np.array([-m if m else np.iinfo(np.int64).max for m in margins], dtype=np.int64)
        )
        axes = self._const(f"axes_{self.counter}", np.array([2, 3, 4], dtype=np.int64))
        return self._node("Slice", [x, starts, ends, axes], (c, *wanted))

    def add(self, a: str, b: str) -> str:
        return self._node("Add", [a, b], self.shapes[a])

    def concat(self, a: str, b: str) -> str:
        shape = (self.shapes[a][0] + self.shapes[b][0], *self.shapes[a][1:])
        return self._node("Concat", [a, b], shape, axis=1)

    def sigmoid(self, x: str) -> str:
        return self._node("Sigmoid", [x], self.shapes[x])


def _conv_block(g: GraphBuilder, x: str | list[str], kernels, features, spec: UNetSpec, first_block: bool) -> str:
    """Convolutions of one level. On the way up ``x`` is the list of what Keras concatenates (the cropped skip,
    then the upsampled tensor): instance normalisation is per channel, so normalising each part and splitting
    the next convolutions by input channel computes the same without the concatenated copy (the largest
    tensor of the liver network, 1 GB, whose allocation alone took 1.5 s)."""
    shortcut = x
    for j, (kernel, n_features) in enumerate(zip(kernels, features)):
        if not (first_block and j == 0):
            x = (
                [g.leaky_relu(g.instance_norm(p)) for p in x]
                if isinstance(x, list)
                else g.leaky_relu(g.instance_norm(x))
            )
        x = g.conv(x, kernel, n_features, spec.padding)
    if spec.residual and kernels:
        parts = [g.crop_to(p, x) for p in (shortcut if isinstance(shortcut, list) else [shortcut])]
        if sum(g.shapes[p][0] for p in parts) != g.shapes[x][0]:
            shortcut = g.conv(parts, (1, 1, 1), g.shapes[x][0], spec.padding)
        else:
            shortcut = parts[0] if len(parts) == 1 else g.concat(*parts)
        x = g.add(x, shortcut)
    return x


def build_unet(spec: UNetSpec, weights: h5py.Group) -> onnx.ModelProto:
    """The ONNX graph of ``spec`` with the weights in ``weights`` (the HDF5 file's root group)."""
    input_size = input_size_for(spec)
    g = GraphBuilder(weights)
    x = "image"
    g.shapes[x] = (1, *input_size)
    left_outputs = []
    previous = 1
    for level, factor in enumerate(spec.level_factors):
        x = g.max_pool(x, factor // previous)
        previous = factor
        x = _conv_block(g, x, spec.down_kernels[level], spec.down_features[level], spec, first_block=level == 0)
        left_outputs.append(x)
    for level in range(len(spec.level_factors) - 2, -1, -1):
        x = g.upsample(x, spec.level_factors[level + 1] // spec.level_factors[level], spec.upsampling)
        x = _conv_block(
            g,
            [g.crop_to(left_outputs[level], x), x],
            spec.up_kernels[level],
            spec.up_features[level],
            spec,
            first_block=False,
        )
    x = g.leaky_relu(g.instance_norm(x))
    x = g.conv(x, (1, 1, 1), 1, spec.padding)
    probability = g.sigmoid(x)
    g.nodes[-1].output[0] = "probability"

    conv_layers = {name for name in weights if name.startswith("conv3d_")}
    if conv_layers != g.used_layers:
        raise ValueError(f"{spec.name}: unused HDF5 layers {sorted(conv_layers - g.used_layers)}")
    output_size = tuple(g.shapes[probability][1:])
    if output_size != spec.output_size:
        raise ValueError(f"{spec.name}: built output {output_size}, expected {spec.output_size}")

    graph = helper.make_graph(
        g.nodes,
        f"pyliverlesionseg_{spec.name}_unet",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, "x", "y", "z"])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, [1, 1, "x_out", "y_out", "z_out"])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hepatica")
    model.ir_version = 8
    return model


def _metadata(spec: UNetSpec, voxel_size_mm: np.ndarray, source_file: str, sha256: str) -> dict[str, str]:
    input_size = input_size_for(spec)
    return {
        "hepatica.model": json.dumps(
            {
                "name": spec.name,
                "source": "pyliverlesionseg 0.3 (Apache-2.0), " + source_file.rsplit("/", 1)[-1],
                "source_sha256": sha256,
                "voxel_size_mm": [float(v) for v in voxel_size_mm],
                "input_size": list(input_size),
                "output_size": list(spec.output_size),
                "size_step": spec.level_factors[-1],
                "axes": "(batch, channel, x, y, z); x to the patient's right, y anterior, z to the head (RAS)",
            }
        )
    }


def convert(wheel: Path, out_dir: Path = OUT_DIR) -> dict[str, str]:
    """Write both ONNX files into ``out_dir``; return {file name: sha256}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    checksums: dict[str, str] = {}
    cards: dict[str, dict] = {}
    with zipfile.ZipFile(wheel) as archive:
        for spec, member in ((LIVER, LIVER_HDF5), (LESION, LESION_HDF5)):
            raw = archive.read(member)
            source_sha = hashlib.sha256(raw).hexdigest()
            with h5py.File(io.BytesIO(raw), "r") as hdf5:
                voxel_size = np.asarray(hdf5["header"]["voxel_size"])
                model = build_unet(spec, hdf5)
            metadata = _metadata(spec, voxel_size, member, source_sha)
            for key, value in metadata.items():
                model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
            onnx.checker.check_model(model, full_check=True)
            data = model.SerializeToString()
            name = f"{spec.name}_unet.onnx"
            (out_dir / name).write_bytes(data)
            cards[name] = json.loads(metadata["hepatica.model"])
            checksums[name] = hashlib.sha256(data).hexdigest()
            checksums[member.rsplit("/", 1)[-1]] = source_sha
    # The runtime reads the window geometry from here, so it needs no onnx package.
    (out_dir / "models.json").write_text(json.dumps(cards, indent=2, sort_keys=True) + "\n")
    lines = [f"{digest}  {name}\n" for name, digest in sorted(checksums.items())]
    (out_dir / "SHA256SUMS").write_text("".join(lines))
    return checksums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="pyliverlesionseg-0.3-py3-none-any.whl")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    for name, digest in convert(args.wheel, args.out).items():
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
