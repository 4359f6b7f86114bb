"""End-to-end detection benchmark: the pipeline's own masks on every real case, phantoms and lesions inserted into
real livers, against their truth.

    python bench/detection_eval.py [--parts real,phantoms,lirads,insertion,alignment] [--repeats 3]

Every case runs `hepatica.pipeline.run_analysis` (radiomics off) in its own process, so that its seconds and peak
memory are its own; "seconds" is the segmentation step alone (liver and lesions, with the liver check, candidate
scoring and outlines), on however many cores this machine has.

Parts:
* real: IRCAD patient 1 (expert liver and tumours; the cyst neither hit nor false positive), TotalSegmentator's
  20-slice contrast CT and its 30-slice native slab (TotalSegmentator's own liver: a model, not an expert), LiTS
  117 (read as `segmentation_eval` reads it: axes left, posterior, superior; 1.5 mm voxels assumed).
* phantoms: lesion-free livers (seeds 41-45), a solid mass pressed against the liver's under-surface (seed 5,
  70 mm) and an exophytic 40 mm HCC (seed 5).
* lirads: three four-phase phantoms with the demo's six lesions (seeds 11, 23, 37): the LI-RADS category the
  pipeline gives each true lesion of 10 mm or more (through the lesion it overlaps most; a missed lesion
  disagrees) against the category of the features it was drawn with, at its true size.
* insertion: spheres of 5, 10, 20 and 40 mm at -60, -30, -15, +15, +30 and +60 HU against the liver, added to
  the tumour-free liver of IRCAD patient 1 (10 mm away from its tumours and cyst) and of TotalSegmentator's native
  slab, 5 mm inside the reference liver and wholly inside the scan, where the parenchyma under the sphere is like
  the parenchyma around it (no vessel under it: `insert_spheres`). The
  sphere is blurred by the image's own point-spread function (in-plane SD measured at the anterior skin-air edge,
  along z half the slice spacing) and added to the image, so that the image's noise and texture run through it as
  through a real lesion. Made at run time, never written (the images' licences forbid derivatives). Four runs of
  six lesions per background cover the 24 size x contrast cells once; ``--repeats`` n (default 3) covers them n
  times at other places, so that the sensitivity for lesions of 10 mm or more at 30 HU or more rests on 24 n
  lesions (one pass, 24, is too few to tell 0.88 from 0.95: its 95 % interval is about 0.2 wide), printed with its
  Wilson 95 % interval.
* alignment: ten phantoms (seeds 0-9) as ``hepatica phantom`` makes them, their phases aligned on the pipeline's
  liver; and the same with each phase moved by a random rigid motion (up to 5 mm, 5 degrees).

A reported lesion that overlaps no true lesion is a false positive. Size error: the pipeline's longest axial
diameter minus the truth's (same measure), lesions of 10 mm or more. Sensitivity by the true longest axial
diameter: < 10, 10-20, > 20 mm.
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
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parent))

from segmentation_eval import DATA, _load_ircad, _load_lits117, _load_totalsegmentator  # noqa: E402

FREE_SEEDS = (41, 42, 43, 44, 45)
LIRADS_SEEDS = (11, 23, 37)
INSERT_SIZES_MM = (5.0, 10.0, 20.0, 40.0)
INSERT_CONTRASTS_HU = (-60.0, -30.0, -15.0, 15.0, 30.0, 60.0)
SITE_HU = 4.0  # an insertion site's mean HU may differ from the parenchyma around it by this much


# ----------------------------------------------------------------------------------------------------- the cases
def case_names(parts: list[str], repeats: int) -> list[str]:
    names = []
    if "real" in parts:
        names += ["ircad", "totalsegmentator", "totalsegmentator_slab", "lits117"]
    if "phantoms" in parts:
        names += [f"free_{s}" for s in FREE_SEEDS] + ["adjacent_mass_5", "exophytic_5"]
    if "lirads" in parts:
        names += [f"lirads_{s}" for s in LIRADS_SEEDS]
    if "insertion" in parts:
        names += [f"insert_{bg}_{run}" for bg in ("ircad", "tsslab") for run in range(4 * repeats)]
    if "alignment" in parts:
        names += ["alignment"]
    return names


def _load_totalsegmentator_slab(tmp: Path):
    from hepatica.io import read_image
    from hepatica.io.volume import resample_to_grid

    ct = read_image(DATA / "totalsegmentator/example_ct_sm.nii.gz")
    labels = resample_to_grid(read_image(DATA / "totalsegmentator/example_seg.nii.gz"), ct, "nearest")
    return ct.with_array(ct.array, modality="CT"), ct.with_array((labels.array == 5).astype(np.uint8)), None, None


def load_real(name: str, tmp: Path):
    """(image, liver reference, lesion reference or None, ignore mask or None)."""
    loaders = {
        "ircad": _load_ircad,
        "totalsegmentator": _load_totalsegmentator,
        "totalsegmentator_slab": _load_totalsegmentator_slab,
        "lits117": _load_lits117,
    }
    return loaders[name](tmp)


def run_case(name: str) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if name == "alignment":
            return alignment_case()
        if name.startswith("insert_"):
            _, background, run = name.split("_")
            return insertion_case(background, int(run), tmp)
        if name.startswith(("free_", "adjacent_mass_", "exophytic_", "lirads_")):
            return phantom_case(name, tmp)
        image, liver, lesions, ignore = load_real(name, tmp)
        return evaluate(name, analyse_volume(image, tmp), liver, lesions, ignore)


def analyse_volume(image, tmp: Path, lirads: bool = False):
    """Write ``image`` as NIfTI and run the pipeline on it (a user's ``hepatica analyze image.nii.gz``)."""
    from hepatica.io.files import write_image

    path = write_image(image, tmp / "image.nii.gz")
    return analyse(path, lirads)


def analyse(inputs, lirads: bool):
    from hepatica.options import AnalysisOptions
    from hepatica.pipeline import run_analysis

    stamps = []
    analysis = run_analysis(
        inputs,
        AnalysisOptions(radiomics=False, lirads=lirads, high_risk=True),
        step=lambda: stamps.append(time.perf_counter()),
    )
    return analysis, stamps[3] - stamps[2]  # seconds of the "Segmenting liver and lesions" step


# ------------------------------------------------------------------------------------------------- evaluation
def evaluate(name: str, analysed, liver_ref, lesion_ref, ignore, extra: dict | None = None) -> dict:
    from hepatica.evaluate import SIZE_BINS, detect_lesions, overlap_metrics
    from hepatica.io.volume import resample_to_grid

    analysis, seconds = analysed
    segmented = analysis.segmented
    grid = segmented.lesions.liver
    on_grid = lambda v: None if v is None else resample_to_grid(v, grid, "nearest")  # noqa: E731
    liver_ref, lesion_ref, ignore = on_grid(liver_ref), on_grid(lesion_ref), on_grid(ignore)
    liver = overlap_metrics(grid, liver_ref)
    quality = analysis.quality
    row = {
        "case": name,
        "liver_dice": liver.dice,
        "liver_hd95_mm": liver.hd95_mm,
        "liver_volume_error_percent": liver.volume_error_percent,
        "reported_lesions": len(segmented.lesions.lesions),
        "below_threshold": sum(c.decision == "below threshold" for c in segmented.segmentation.candidates),
        "adjacent_masses": sum(c.decision == "adjacent mass" for c in segmented.segmentation.candidates),
        "quality": quality.status if quality else None,
        "flags": [c.name for c in quality.flags] if quality else [],
        "seconds": seconds,
    }
    if lesion_ref is not None:
        detection = detect_lesions(segmented.lesions.labels, lesion_ref, ignore=ignore)
        errors = [m.matched_size_mm - m.size_mm for m in detection.matches if m.found and m.size_mm >= 10]
        row.update(
            {
                "detection": {b: detection.count(b) for b in SIZE_BINS},
                "false_positives": detection.false_positives,
                "size_errors_mm": [round(e, 1) for e in errors],
            }
        )
    row.update(extra or {})
    row["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


# ----------------------------------------------------------------------------------------------------- phantoms
def phantom_case(name: str, tmp: Path) -> dict:
    from hepatica.phantom import LesionSpec, make_phantom_study
    from hepatica.phantom.write import write_phantom_study

    kind, seed = name.rsplit("_", 1)
    seed = int(seed)
    lirads = kind == "lirads"
    if kind == "free":
        study = make_phantom_study(seed=seed, lesions=())
    elif kind == "adjacent_mass":
        study = make_phantom_study(seed=seed, lesions=(), adjacent_mass_mm=70.0)
    elif kind == "exophytic":
        study = make_phantom_study(seed=seed, lesions=(LesionSpec("hcc", 40.0, exophytic=True),))
    else:
        study = make_phantom_study(seed=seed)
    files = write_phantom_study(study, tmp / "phantom")
    analysed = analyse(files.dicom, lirads)
    analysis = analysed[0]
    extra = {}
    if kind == "exophytic":
        extra["exophytic_flagged"] = any(
            "exophytic" in why for c in analysis.segmented.segmentation.candidates for why in c.reasons
        ) or any(c.decision == "adjacent mass" for c in analysis.segmented.segmentation.candidates)
    if lirads:
        extra["lirads"] = lirads_agreement(study, analysis)
    return evaluate(name, analysed, study.liver, study.lesion_labels, None, extra)


def lirads_agreement(study, analysis) -> list[dict]:
    """Each true lesion of 10 mm or more: its true category and the pipeline's (None: missed or not characterized)."""
    from hepatica.io.volume import resample_to_grid
    from hepatica.lirads import Observation, categorize

    labels = analysis.segmented.lesions.labels.array
    truth = resample_to_grid(study.lesion_labels, analysis.segmented.lesions.labels, "nearest").array
    rows = []
    for lesion in study.lesions:
        if lesion.diameter_mm < 10:
            continue
        features = dict(lesion.expected_features)
        observation = Observation(
            high_risk=True,
            size_mm=lesion.diameter_mm,
            **{k: v for k, v in features.items() if k != "lr_m_features"},
            lr_m_features=list(features["lr_m_features"]),
        )
        found = most_overlapping(labels, truth == lesion.label)
        entry = analysis.lirads.lesions.get(found) if found else None
        rows.append(
            {
                "type": lesion.type.value,
                "size_mm": lesion.diameter_mm,
                "true": categorize(observation).category,
                "pipeline": entry.category if entry else None,
            }
        )
    return rows


def most_overlapping(labels: np.ndarray, where: np.ndarray) -> int | None:
    """The non-zero label of ``labels`` with the most voxels in ``where`` (None: none there)."""
    hits = labels[where & (labels > 0)]
    return int(np.bincount(hits).argmax()) if hits.size else None


# ---------------------------------------------------------------------------------------------------- insertion
def insertion_case(background: str, run: int, tmp: Path) -> dict:
    from hepatica.evaluate import detect_lesions
    from hepatica.io.volume import resample_to_grid

    if background == "ircad":
        image, liver_ref, tumours, cyst = _load_ircad(tmp)
        exclude = (tumours.array > 0) | (cyst.array > 0)
    else:
        image, liver_ref, _, _ = _load_totalsegmentator_slab(tmp)
        exclude = np.zeros(image.array.shape, dtype=bool)
    rng = np.random.default_rng(1000 + run)
    specs = [(INSERT_SIZES_MM[(run + j) % 4], INSERT_CONTRASTS_HU[j]) for j in range(len(INSERT_CONTRASTS_HU))]
    blur_mm = skin_edge_blur_mm(image)
    inserted, labels = insert_spheres(image, liver_ref.array > 0, exclude, specs, blur_mm, rng)
    analysed = analyse_volume(inserted, tmp)
    grid = analysed[0].segmented.lesions.labels
    truth = resample_to_grid(image.with_array(labels), grid, "nearest")
    own = resample_to_grid(image.with_array(exclude.astype(np.uint8)), grid, "nearest")
    own_near = own.with_array(ndimage.binary_dilation(own.array > 0, iterations=3).astype(np.uint8))
    detection = detect_lesions(grid, truth, ignore=own_near)
    # detect_lesions renumbers the truth by decreasing volume: find inserted lesion k+1 by its own voxels
    reported = grid.array > 0
    segmentation = analysed[0].segmented.segmentation
    candidate_map = resample_to_grid(segmentation.candidate_labels, grid, "nearest").array
    by_number = {c.number: c for c in segmentation.candidates}
    lesions = []
    for k, (size, contrast) in enumerate(specs):
        inside = truth.array == k + 1
        if not inside.any():
            continue
        candidate = by_number.get(most_overlapping(candidate_map, inside))
        lesions.append(
            {
                "size_mm": size,
                "contrast_hu": contrast,
                "found": bool(reported[inside].any()),
                "candidate": None
                if candidate is None
                else {
                    "decision": candidate.decision,
                    "found_by": candidate.evidence.found_by,
                    "mean_probability": candidate.evidence.mean_probability,
                    "contrast_hu": round(candidate.evidence.contrast_hu, 1),
                    "contrast_sd": round(candidate.evidence.contrast_sd, 2),
                    "diameter_mm": round(candidate.evidence.diameter_mm, 1),
                },
            }
        )
    row = evaluate(f"insert_{background}_{run}", analysed, liver_ref, None, None)
    row.update({"inserted": lesions, "false_positives": detection.false_positives, "blur_sd_mm": blur_mm})
    return row


def skin_edge_blur_mm(image) -> float:
    """In-plane SD (mm) of the image's point-spread function, from the anterior skin-air edge: the edge spread
    across it is a step blurred by that Gaussian, whose steepest slope is (step height) / (SD x sqrt(2 pi))."""
    from hepatica.measure.lesions import to_lps

    lps = to_lps(image)
    hu = lps.array.astype(np.float32)
    spacing_y = lps.spacing[1]
    estimates = []
    for k in range(hu.shape[0] // 3, 2 * hu.shape[0] // 3):
        column = hu[k, :, hu.shape[2] // 2]
        crossing = np.flatnonzero(column > -500)
        if crossing.size == 0 or crossing[0] < 6 or crossing[0] + 6 >= column.size:
            continue
        start = crossing[0]
        air, tissue = float(np.median(column[start - 6 : start - 2])), float(np.median(column[start + 2 : start + 6]))
        slope = float(np.max(np.diff(column[start - 4 : start + 4]))) / spacing_y
        if tissue - air > 300 and slope > 0:
            estimates.append((tissue - air) / (slope * np.sqrt(2 * np.pi)))
    return float(np.clip(np.median(estimates), 0.3, 2.0)) if estimates else 0.7


def insert_spheres(image, liver: np.ndarray, exclude: np.ndarray, specs, blur_mm: float, rng):
    """``image`` with a blurred sphere of each (diameter mm, contrast HU) added inside ``liver``, away from
    ``exclude`` and from each other; and the label map (lesion k+1 = spec k; a spec with no room is left out).

    A sphere goes only where the parenchyma under it is like the parenchyma around it: the original mean HU inside
    the sphere within ``SITE_HU`` of the median 2-6 mm outside it (in the liver), and at most 10 % of the sphere
    and 2 mm around it more than 20 HU from the parenchyma after a 3 x 3 x 3 median. A vessel under the sphere
    would add its own contrast to the lesion's: with the earlier rule (90 % within 40 HU) one IRCAD placement in
    eight sat on a vessel that raised the sphere's original attenuation by 7-16 HU, and a 10 mm lesion of -30 HU
    was inserted as one of -15 HU. Large spheres always hold some vessels, as large tumours do; their mean is
    what must not move."""
    from hepatica.boxes import bounding_box, margin_voxels

    spacing = np.array(image.spacing[::-1])  # (z, y, x)
    hu = image.array.astype(np.float32)
    labels = np.zeros(hu.shape, dtype=np.uint8)
    added = np.zeros(hu.shape, dtype=np.float32)
    region = bounding_box(liver, margin_voxels(15.0, spacing))  # everything below happens near the liver
    local_liver, local_exclude = liver[region], exclude[region]
    # the image's own ends count as outside: a sphere must lie in what was scanned (the slab is 90 mm tall)
    depth = ndimage.distance_transform_edt(np.pad(local_liver & ~local_exclude, 1), sampling=spacing)[1:-1, 1:-1, 1:-1]
    far_from_excluded = ndimage.distance_transform_edt(~local_exclude, sampling=spacing) > 10.0
    parenchyma = np.median(hu[region][ndimage.binary_erosion(local_liver, iterations=3) & ~local_exclude])
    local_hu = hu[region]
    unlike = np.abs(ndimage.median_filter(local_hu, size=3) - parenchyma) > 20.0
    placed: list[tuple[np.ndarray, float]] = []  # (centre in mm, radius) of the spheres so far
    for diameter, contrast in sorted(specs, key=lambda s: -s[0]):
        index = specs.index((diameter, contrast))
        radius = diameter / 2
        candidates = np.flatnonzero(((depth >= radius + 5.0) & far_from_excluded).ravel())
        for _ in range(400):
            if candidates.size == 0:
                break
            centre = np.array(np.unravel_index(rng.choice(candidates), depth.shape))
            if any(np.linalg.norm((centre - c) * spacing) < radius + r + 10.0 for c, r in placed):
                continue
            reach = np.ceil((radius + 3 * max(blur_mm, spacing[0] / 2) + 2) / spacing).astype(int)
            box = tuple(slice(max(0, c - r), min(n, c + r + 1)) for c, r, n in zip(centre, reach, depth.shape))
            grid = np.stack(np.meshgrid(*[np.arange(b.start, b.stop) for b in box], indexing="ij"), -1)
            distance = np.linalg.norm((grid - centre) * spacing, axis=-1)
            ring = (distance > radius + 2.0) & (distance <= radius + 6.0) & local_liver[box]
            offset = local_hu[box][distance <= radius].mean() - np.median(local_hu[box][ring])
            if abs(offset) > SITE_HU or unlike[box][distance <= radius + 2.0].mean() > 0.1:
                continue
            # the sphere's partial-volume profile, blurred by the PSF (in-plane measured, along z half a slice)
            inside = np.clip(radius - distance + 0.5 * spacing.min(), 0, spacing.min()) / spacing.min()
            sigma = [max(spacing[0] / 2, 0.3) / spacing[0], blur_mm / spacing[1], blur_mm / spacing[2]]
            whole = tuple(slice(r.start + b.start, r.start + b.stop) for r, b in zip(region, box))
            added[whole] += contrast * ndimage.gaussian_filter(inside.astype(np.float32), sigma)
            labels[whole][distance <= radius] = index + 1
            placed.append((centre, radius))
            break
    return image.with_array((hu + added).round().astype(np.int16)), labels


# ---------------------------------------------------------------------------------------------------- alignment
def alignment_case() -> dict:
    from hepatica.characterize.register import align_phases
    from hepatica.io.phase import Phase
    from hepatica.phantom import make_phantom_study
    from hepatica.phantom.misregister import misregister
    from hepatica.segment import segment

    rows = []
    for seed in range(10):
        study = make_phantom_study(seed=seed)
        liver = segment(study.phases[Phase.PORTAL_VENOUS], lesions=False).liver
        centre = study.liver.index_to_physical(np.argwhere(study.liver.array > 0)[:, ::-1].mean(axis=0))
        moved, _ = misregister(study.phases, centre, np.random.default_rng(seed))
        for label, phases in (("as made", study.phases), ("moved", moved)):
            aligned = align_phases(dict(phases), liver, seed=seed)
            rows.append(
                {
                    "seed": seed,
                    "phases": label,
                    "failed": sorted(p.value for p in aligned.failures),
                    "worst_residual_mm": max((a.residual_mm for a in aligned.alignments.values()), default=None),
                }
            )
    return {"case": "alignment", "alignment": rows}


# --------------------------------------------------------------------------------------------------- the tables
def _fmt(value, digits=3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if np.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def print_tables(rows: list[dict]) -> None:
    cases = [r for r in rows if "liver_dice" in r]
    header = ["case", "liver Dice", "vol err %", "HD95 mm", "<10", "10-20", ">20", "FP", "size err mm", "QC",
              "flags", "seconds", "peak MB"]  # fmt: skip
    lines = [header]
    for r in cases:
        det = r.get("detection", {})
        errors = r.get("size_errors_mm")
        lines.append(
            [
                r["case"],
                _fmt(r["liver_dice"]),
                _fmt(r["liver_volume_error_percent"], 1),
                _fmt(r["liver_hd95_mm"], 1),
                *(f"{det[b][0]}/{det[b][1]}" if b in det else "-" for b in ("<10 mm", "10-20 mm", ">20 mm")),
                _fmt(r.get("false_positives", r["reported_lesions"] if "detection" not in r else None)),
                f"{np.median(np.abs(errors)):.1f} ({', '.join(f'{e:+.0f}' for e in errors)})" if errors else "-",
                _fmt(r["quality"]),
                ",".join(r["flags"]) or "-",
                _fmt(r["seconds"], 1),
                _fmt(r["peak_memory_mb"], 0),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print("FP: reported lesions overlapping no true lesion (lesion-free phantoms and slabs: every reported lesion).")
    free = [r for r in cases if r["case"].startswith("free_")]
    if free:
        per_case = sum(r["reported_lesions"] for r in free) / len(free)
        print(f"lesion-free phantoms: {per_case:.2f} reported lesions per case")
    for r in cases:
        if "exophytic_flagged" in r:
            print(f"{r['case']}: exophytic lesion reported and flagged for review: {r['exophytic_flagged']}")
    lirads = [entry for r in cases for entry in r.get("lirads", [])]
    if lirads:
        agree = sum(e["true"] == e["pipeline"] for e in lirads)
        print(f"\nLI-RADS end to end (pipeline masks), true lesions >= 10 mm: {agree}/{len(lirads)} agree "
              f"({agree / len(lirads):.2f})")  # fmt: skip
        for r in cases:
            for e in r.get("lirads", []):
                where = f"  {r['case']:>10} {e['type']:>10} {e['size_mm']:5.1f} mm"
                print(f"{where}  true {e['true']:<6} pipeline {e['pipeline']}")
    inserted = [(e, r) for r in cases for e in r.get("inserted", [])]
    if inserted:
        print("\nLesion insertion: found / inserted by diameter (rows) and contrast to the liver (columns)")
        print("      " + "".join(f"{c:>+9.0f}" for c in INSERT_CONTRASTS_HU))
        for size in INSERT_SIZES_MM:
            cells = []
            for contrast in INSERT_CONTRASTS_HU:
                chosen = [e for e, _ in inserted if e["size_mm"] == size and e["contrast_hu"] == contrast]
                cells.append(f"{sum(e['found'] for e in chosen)}/{len(chosen)}" if chosen else "-")
            print(f"{size:4.0f}mm" + "".join(f"{c:>9}" for c in cells))
        strong = [e for e, _ in inserted if e["size_mm"] >= 10 and abs(e["contrast_hu"]) >= 30]
        runs = [r for r in cases if "inserted" in r]
        found = sum(e["found"] for e in strong)
        low, high = wilson_interval(found, len(strong))
        print(f"sensitivity >= 10 mm, |contrast| >= 30 HU: {found}/{len(strong)} = {found / len(strong):.2f} "
              f"(95 % interval {low:.2f}-{high:.2f}); false positives per case "
              f"{np.mean([r['false_positives'] for r in runs]):.2f} ({len(runs)} cases); "
              f"PSF SD measured {sorted({round(r['blur_sd_mm'], 2) for r in runs})} mm")  # fmt: skip
        for e, r in inserted:
            if e["size_mm"] >= 10 and abs(e["contrast_hu"]) >= 30 and not e["found"]:
                where = f"{r['case']} {e['size_mm']:.0f} mm {e['contrast_hu']:+.0f} HU"
                print(f"  missed: {where}, candidate {e['candidate']}")
    for r in rows:
        if "alignment" in r:
            for label in ("as made", "moved"):
                chosen = [a for a in r["alignment"] if a["phases"] == label]
                ok = [a for a in chosen if not a["failed"]]
                worst = max((a["worst_residual_mm"] or 0) for a in chosen)
                print(f"\nalignment, phantom phases {label}: {len(ok)}/{len(chosen)} seeds with every phase aligned "
                      f"(worst residual {worst:.2f} mm); failures: "
                      f"{[(a['seed'], a['failed']) for a in chosen if a['failed']] or 'none'}")  # fmt: skip


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95 % for z = 1.96)."""
    if trials == 0:
        return float("nan"), float("nan")
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return float(centre - half), float(centre + half)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", default="real,phantoms,lirads,insertion,alignment")
    parser.add_argument("--cases", help="Only these cases (comma-separated names), e.g. ircad,free_41.")
    parser.add_argument("--repeats", type=int, default=3, help="Insertion runs: 4 x this per background.")
    parser.add_argument("--json", type=Path, help="Also write the rows as JSON here.")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child process: run one case, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_case(args.one)))
        return
    names = args.cases.split(",") if args.cases else case_names(args.parts.split(","), args.repeats)
    rows = []
    for name in names:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--one", name], capture_output=True, text=True)
        if done.returncode:
            print(f"{name}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    print(f"{os.cpu_count()} CPUs")
    print_tables(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
