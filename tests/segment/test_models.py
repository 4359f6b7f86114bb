"""The bundled ONNX models: present, intact, with the window geometry of their training."""

import hashlib
import json
from importlib import resources

import numpy as np

from hepatica.segment.bundled import OnnxUNet

MODELS = resources.files("hepatica.segment") / "models"


def test_checksums_licence_and_notice_ship_with_the_models():
    sums = dict(line.split()[::-1] for line in (MODELS / "SHA256SUMS").read_text().splitlines())
    for name in ("liver_unet.onnx", "lesion_unet.onnx"):
        assert hashlib.sha256((MODELS / name).read_bytes()).hexdigest() == sums[name]
    assert "Apache License" in (MODELS / "LICENSE-pyliverlesionseg").read_text()
    assert "pyliverlesionseg 0.3" in (MODELS / "NOTICE").read_text()


def test_window_geometry_matches_training():
    cards = json.loads((MODELS / "models.json").read_text())
    assert cards["liver_unet.onnx"]["voxel_size_mm"] == [3.0, 3.0, 3.0]
    assert cards["lesion_unet.onnx"]["voxel_size_mm"] == [1.0, 1.0, 3.0]
    liver, lesion = OnnxUNet.load("liver_unet.onnx"), OnnxUNet.load("lesion_unet.onnx")
    assert (liver.input_size, liver.output_size) == ((189, 162, 162), (163, 136, 136))
    assert (lesion.input_size, lesion.output_size, lesion.margin) == ((180, 172, 86), (92, 84, 42), (44, 44, 22))


def test_lesion_blocks_need_the_fewest_input_voxels_within_the_memory_cap():
    net = OnnxUNet.load("lesion_unet.onnx")
    # IRCAD patient 1's liver box at 1 x 1 x 3 mm: two windows of 188 x 244 x 102 (4.7 M voxels) beat one of 7 M
    # voxels (over the cap) and four of 3.3 M
    assert net.blocks_for((192, 156, 55)) == (100, 156, 58)
    assert net.blocks_for((192, 156, 55), max_window_voxels=3_400_000) == (100, 84, 58)
    assert net.blocks_for((60, 50, 20)) == net.output_size  # never below the trained block
    for shape in [(300, 250, 120), (400, 300, 90), (90, 400, 200)]:
        block = net.blocks_for(shape)
        assert np.prod([b + 2 * m for b, m in zip(block, net.margin)]) <= 5_000_000


def test_lesion_network_runs_on_a_grown_window():
    net = OnnxUNet.load("lesion_unet.onnx")
    window = np.full((188, 172, 86), -0.5, np.float32)  # block (100, 84, 42) plus margins
    out = net.run(window)
    assert out.shape == (100, 84, 42)
    assert np.all((out >= 0) & (out <= 1))
