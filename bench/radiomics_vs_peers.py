"""Radiomics speed and memory against PyRadiomics 3.0.1 and MIRP on IRCAD patient 1, same ROIs and settings.

    python bench/radiomics_vs_peers.py [--pyradiomics-python PY] [--mirp-python PY] [--rois tumour,liver]
                                       [--image-types original,filtered] [--repeats 1]

Each engine runs in its own process (its own interpreter: the peers want other numpy/pandas versions, see
../shared/docs/peers.md), on the same NIfTI files: the CT and a mask of the largest tumour (livertumor01) or
of the whole liver, on the original grid, 25 HU bins. "filtered" adds LoG sigma 1, 2, 3 mm and the eight
level-1 coif1 wavelet sub-bands (features of every image type, 25 HU bins for PyRadiomics; MIRP and Hepatica
use their response-map defaults). Seconds are the extraction alone (imports and file reading excluded); peak
memory is the process's max RSS. Hepatica computes every IBSI feature (211 per original image), PyRadiomics
its 107 default ones, MIRP the IBSI set. Ratios are peer seconds / Hepatica seconds in this same run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "ircad" / "3Dircadb1.1"
LOG_SIGMAS = (1.0, 2.0, 3.0)

WORKER = r"""
import json, resource, sys, time, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
engine, image, mask, filtered = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
sigmas = [1.0, 2.0, 3.0]
if engine == "hepatica":
    from hepatica.io import read_image, read_mask
    from hepatica.radiomics import Discretisation, ExtractionSettings, FilterSpec, extract_all
    ct, roi = read_image(image), read_mask(mask)
    filters = ()
    if filtered:
        filters = tuple(FilterSpec("log", sigma_mm=s) for s in sigmas) + tuple(
            FilterSpec("wavelet", wavelet="coif1", subband=a + b + c) for a in "LH" for b in "LH" for c in "LH")
    settings = ExtractionSettings(discretisation=Discretisation("fixed_bin_size", None, 25.0), filters=filters,
                                  filtered_discretisation=Discretisation("fixed_bin_size", None, 25.0))
    start = time.perf_counter()
    result = extract_all(ct.array, roi.array > 0, ct.spacing[::-1], settings)
    seconds = time.perf_counter() - start
    count = sum(len(v) for v in result.values())
elif engine == "pyradiomics":
    import SimpleITK as sitk
    from radiomics import featureextractor
    logging.getLogger("radiomics").setLevel(logging.ERROR)
    ct, roi = sitk.ReadImage(image), sitk.ReadImage(mask)
    extractor = featureextractor.RadiomicsFeatureExtractor(binWidth=25)
    extractor.enableAllFeatures()
    if filtered:
        extractor.enableImageTypeByName("LoG", customArgs={"sigma": sigmas})
        extractor.enableImageTypeByName("Wavelet", customArgs={"wavelet": "coif1"})
    start = time.perf_counter()
    result = extractor.execute(ct, roi)
    seconds = time.perf_counter() - start
    count = sum(1 for k in result if not k.startswith("diagnostics"))
else:
    from mirp import extract_features
    options = dict(image_modality="CT", base_discretisation_method="fixed_bin_size",
                   base_discretisation_bin_width=25.0, ibsi_compliant=not filtered)
    if filtered:
        options.update(filter_kernels=["laplacian_of_gaussian", "separable_wavelet"],
                       laplacian_of_gaussian_sigma=sigmas, separable_wavelet_families="coif1",
                       separable_wavelet_set="all", response_map_discretisation_method="fixed_bin_size",
                       response_map_discretisation_bin_width=25.0)
    start = time.perf_counter()
    table = extract_features(image=image, mask=mask, **options)[0]
    seconds = time.perf_counter() - start
    count = sum(1 for c in table.columns if not c.startswith(("sample", "image_")))
print(json.dumps({"seconds": seconds, "features": count,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def prepare(folder: Path, rois: list[str]) -> dict[str, tuple[Path, Path]]:
    """The CT and each ROI mask as NIfTI files in ``folder``."""
    sys.path.insert(0, str(REPO / "src"))
    import numpy as np

    from hepatica.io import load_dicom_series, scan_dicom_folder, write_image

    ct = load_dicom_series(scan_dicom_folder(DATA / "PATIENT_DICOM").series[0])
    write_image(ct, folder / "ct.nii.gz")
    with zipfile.ZipFile(DATA / "MASKS_DICOM.zip") as archive:
        archive.extractall(folder)
    names = {"tumour": "livertumor01", "liver": "liver"}
    files = {}
    for roi in rois:
        mask = load_dicom_series(scan_dicom_folder(folder / "MASKS_DICOM" / names[roi]).series[0]).array > 0
        write_image(ct.with_array(mask.astype(np.uint8)), folder / f"{roi}.nii.gz")
        files[roi] = (folder / "ct.nii.gz", folder / f"{roi}.nii.gz", int(mask.sum()))
    return files


def run(python: str, engine: str, image: Path, mask: Path, filtered: bool) -> dict:
    done = subprocess.run(
        [python, "-c", WORKER, engine, str(image), str(mask), "1" if filtered else "0"], capture_output=True, text=True
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pyradiomics-python", default=sys.executable)
    parser.add_argument("--mirp-python", default=sys.executable)
    parser.add_argument("--rois", default="tumour,liver")
    parser.add_argument("--image-types", default="original,filtered")
    parser.add_argument("--engines", default="hepatica,pyradiomics,mirp")
    args = parser.parse_args()
    pythons = {"hepatica": sys.executable, "pyradiomics": args.pyradiomics_python, "mirp": args.mirp_python}
    engines = args.engines.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        files = prepare(Path(tmp), args.rois.split(","))
        print(f"IRCAD patient 1, original grid 0.57 x 0.57 x 1.6 mm, 25 HU bins, {len(engines)} engines, 2 CPUs")
        header = (
            f"{'ROI':>7} {'voxels':>8} {'image types':>12} {'engine':>12} {'features':>8} {'seconds':>8} "
            f"{'peak MB':>8} {'x Hepatica':>10}"
        )
        print(header)
        print("-" * len(header))
        for roi, (image, mask, voxels) in files.items():
            for kind in args.image_types.split(","):
                results = {e: run(pythons[e], e, image, mask, kind == "filtered") for e in engines}
                base = results.get("hepatica", {}).get("seconds")
                for engine, r in results.items():
                    if "error" in r:
                        print(f"{roi:>7} {voxels:>8} {kind:>12} {engine:>12}  failed: {r['error'][:80]}")
                        continue
                    ratio = f"{r['seconds'] / base:.1f}" if base else "-"
                    print(
                        f"{roi:>7} {voxels:>8} {kind:>12} {engine:>12} {r['features']:>8} {r['seconds']:>8.1f} "
                        f"{r['peak_mb']:>8.0f} {ratio:>10}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
