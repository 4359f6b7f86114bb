"""Segmentation benchmark on ../shared/data: liver overlap, lesion detection by size, time and peak memory.

    python bench/segmentation_eval.py [--backend bundled] [--cases ircad,totalsegmentator,lits117]

Each case runs in its own process so that its peak memory (max RSS: loading, segmentation and evaluation)
is its own. Seconds are wall time of ``hepatica.segment.segment`` alone (liver and lesions), on however many
cores this machine has (set HEPATICA_THREADS to pin ONNX Runtime's threads).

Cases and their references:
* ircad: 3D-IRCADb-01 patient 1, expert liver mask and livertumor01..07; the cyst (liverkyst) is excluded
  from detection: a prediction on it is neither a hit nor a false positive.
* totalsegmentator: the contrast CT of TotalSegmentator's tests (20 slices) against TotalSegmentator's own
  liver (label 5; a model output, not expert truth). No lesion reference.
* lits117: LiTS case 117 as resampled to 128^3 (a crop around the liver) with its liver and tumour labels.
  Neither voxel size nor orientation is stored. The anatomy fixes the orientation: the MRC array's axes run
  towards the patient's left, posterior and superior (the liver lies at low indices of axis 0, the spine at high
  indices of axis 1, the lungs at high indices of axis 2), so the array is the (x, y, z) of an LPS volume and is
  transposed to hepatica's (z, y, x). We assume 1.5 mm isotropic voxels: the 128-voxel crop then spans 192 mm,
  about a liver's extent with the margin seen around it, and the reference liver measures 2077 mL (439 mL of it
  tumour), a plausible tumour-bearing liver; at 1 mm it would be 615 mL, smaller than any adult liver.
  Needs the ``mrcfile`` package (pip install mrcfile).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("HEPATICA_SHARED_DATA", REPO.parent / "shared" / "data"))
CASES = ("ircad", "totalsegmentator", "lits117")
LITS_ASSUMED_SPACING_MM = (1.5, 1.5, 1.5)


def _load_ircad(tmp: Path):
    from hepatica.io import load_dicom_series, scan_dicom_folder

    ct = load_dicom_series(scan_dicom_folder(DATA / "ircad/3Dircadb1.1/PATIENT_DICOM").series[0])
    with zipfile.ZipFile(DATA / "ircad/3Dircadb1.1/MASKS_DICOM.zip") as archive:
        archive.extractall(tmp)

    def mask(name: str) -> np.ndarray:
        return load_dicom_series(scan_dicom_folder(tmp / "MASKS_DICOM" / name).series[0]).array > 0

    tumours = np.zeros(ct.array.shape, dtype=bool)
    for n in range(1, 8):
        tumours |= mask(f"livertumor0{n}")
    as_volume = lambda a: ct.with_array(a.astype(np.uint8))  # noqa: E731
    return ct, as_volume(mask("liver")), as_volume(tumours), as_volume(mask("liverkyst"))


def _load_totalsegmentator(tmp: Path):
    from hepatica.io import load_dicom_series, scan_dicom_folder
    from hepatica.segment.totalsegmentator import labels_on_grid, liver_from_total

    ct = load_dicom_series(scan_dicom_folder(DATA / "totalsegmentator/example_ct_dicom").series[0])
    liver = liver_from_total(labels_on_grid(DATA / "totalsegmentator/example_seg_dicom.nii.gz", ct))
    return ct, liver, None, None


def _load_lits117(tmp: Path):
    import mrcfile

    from hepatica.io import Volume

    def read(name: str) -> np.ndarray:
        with mrcfile.open(DATA / "lits117" / name) as mrc:
            return np.ascontiguousarray(np.asarray(mrc.data).transpose(2, 1, 0))  # (L, P, S) -> (z, y, x)

    image, labels = read("img_117.mrc").astype(np.float32), read("lab_117.mrc")
    ct = Volume(np.round(image).astype(np.int16), LITS_ASSUMED_SPACING_MM, (0.0, 0.0, 0.0), metadata={"modality": "CT"})
    return ct, ct.with_array((labels > 0).astype(np.uint8)), ct.with_array((labels == 2).astype(np.uint8)), None


def run_case(name: str, backend: str) -> dict:
    from hepatica.evaluate import SIZE_BINS, detect_lesions, overlap_metrics
    from hepatica.measure import label_lesions
    from hepatica.segment import segment

    with tempfile.TemporaryDirectory() as tmp:
        ct, liver_ref, lesion_ref, ignore = globals()[f"_load_{name}"](Path(tmp))
    start = time.perf_counter()
    result = segment(ct, backend=backend)
    seconds = time.perf_counter() - start
    liver = overlap_metrics(result.liver, liver_ref)
    row = {
        "case": name,
        "seconds": seconds,
        "liver_dice": liver.dice,
        "liver_hd95_mm": liver.hd95_mm,
        "liver_asd_mm": liver.average_surface_distance_mm,
        "liver_volume_error_percent": liver.volume_error_percent,
        "predicted_lesions": int(label_lesions(result.lesions).array.max()),
    }
    if lesion_ref is not None:
        lesions = overlap_metrics(result.lesions, lesion_ref)
        detection = detect_lesions(result.lesions, lesion_ref, ignore=ignore)
        row.update(
            {
                "lesion_dice": lesions.dice,
                "detection": {b: detection.count(b) for b in SIZE_BINS},
                "sensitivity_10mm_and_up": detection.sensitivity(min_diameter_mm=10),
                "false_positives": detection.false_positives,
                "ignored_predictions": detection.ignored_predictions,
                "reference_diameters_mm": [round(m.size_mm, 1) for m in detection.matches],
            }
        )
    row["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def _fmt(value, digits=3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def print_table(rows: list[dict]) -> None:
    header = [
        "case",
        "liver Dice",
        "HD95 mm",
        "ASD mm",
        "vol err %",
        "lesion Dice",
        "<10 mm",
        "10-20 mm",
        ">20 mm",
        "sens >=10",
        "FP",
        "seconds",
        "peak MB",
    ]
    lines = [header]
    for r in rows:
        det = r.get("detection", {})

        def cell(b: str, det: dict = det) -> str:
            return f"{det[b][0]}/{det[b][1]}" if b in det else "-"

        lines.append(
            [
                r["case"],
                _fmt(r["liver_dice"]),
                _fmt(r["liver_hd95_mm"], 1),
                _fmt(r["liver_asd_mm"], 2),
                _fmt(r["liver_volume_error_percent"], 1),
                _fmt(r.get("lesion_dice")),
                cell("<10 mm"),
                cell("10-20 mm"),
                cell(">20 mm"),
                _fmt(r.get("sensitivity_10mm_and_up"), 2),
                _fmt(r.get("false_positives")),
                _fmt(r["seconds"], 1),
                _fmt(r["peak_memory_mb"], 0),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="bundled")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child process: run one case, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_case(args.one, args.backend)))
        return
    rows = []
    for name in args.cases.split(","):
        done = subprocess.run(
            [sys.executable, __file__, "--one", name, "--backend", args.backend], capture_output=True, text=True
        )
        if done.returncode:
            print(f"{name}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"backend {args.backend}, {os.cpu_count()} CPUs, LiTS-117 voxel size assumed {LITS_ASSUMED_SPACING_MM} mm")
    print_table(rows)
    for r in rows:
        if "reference_diameters_mm" in r:
            print(
                f"{r['case']}: reference lesion diameters (mm) {r['reference_diameters_mm']}, "
                f"ignored predictions {r['ignored_predictions']}, predicted lesions {r['predicted_lesions']}"
            )


if __name__ == "__main__":
    main()
