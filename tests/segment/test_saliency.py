"""Occlusion saliency of the bundled lesion network on a phantom lesion: hiding the lesion takes away the
network's lesion probability; hiding distant liver does not."""

import numpy as np
from scipy import ndimage

from hepatica.phantom.generate import LesionSpec, make_phantom_study
from hepatica.segment.bundled import OnnxUNet, normalise_ct, to_network
from hepatica.segment.grid import resample_centred
from hepatica.segment.saliency import occlusion_saliency


def test_occluding_the_lesion_removes_its_probability_and_distant_liver_does_not():
    net = OnnxUNet.load("lesion_unet.onnx")
    study = make_phantom_study(seed=3, lesions=(LesionSpec("metastasis", 25.0),), spacing_mm=(1.0, 1.0, 3.0))
    pv = [v for p, v in study.phases.items() if p.value == "portal_venous"][0]
    hu = to_network(pv.array.transpose(2, 1, 0))  # (x, y, z) in RAS, 1 x 1 x 3 mm: the network's grid
    lesion = to_network(study.lesion_labels.array.transpose(2, 1, 0) > 0)
    centre = np.round(ndimage.center_of_mass(lesion)).astype(int)
    image = resample_centred(normalise_ct(hu), (1.0, 1.0, 3.0), net.voxel_size_mm)
    half_in, half_out = np.array(net.input_size) // 2, np.array(net.output_size) // 2
    pad = [(h, h) for h in half_in]
    window = np.pad(image, pad, constant_values=-0.5)[tuple(slice(c, c + n) for c, n in zip(centre, net.input_size))]
    target = np.pad(lesion, pad)[
        tuple(slice(c + h - o, c + h - o + n) for c, h, o, n in zip(centre, half_in, half_out, net.output_size))
    ]
    assert target.any()
    near = tuple(slice(h - 14, h + 14) for h in half_out[:2]) + (slice(half_out[2] - 5, half_out[2] + 5),)
    saliency = occlusion_saliency(net, window, target, patch=(28, 28, 10), region=near)
    on_lesion = saliency[tuple(half_out)]
    far = occlusion_saliency(
        net,
        window,
        target,
        patch=(20, 20, 8),
        region=(slice(0, 20), slice(0, 20), slice(half_out[2] - 4, half_out[2] + 4)),
    )
    print(f"drop when the lesion is hidden {on_lesion:.3f}, when a far corner is {far[0, 0, half_out[2]]:.3f}")
    assert on_lesion > 0.3
    assert abs(far[0, 0, half_out[2]]) < 0.05
