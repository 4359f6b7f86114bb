"""Compare two analysis folders (``hepatica analyze --out A`` and ``--out B``, e.g. before and after a refactoring):
the same liver volume, lesions (every measurement), LI-RADS (category, size, every feature's value and
confidence, reasons), radiomics (every value of features.csv to a tolerance) and the same masks voxel for voxel.

    python scripts/compare_analyses.py BEFORE/ AFTER/ [--tolerance 1e-9]

A result of schema 1.0 is read through its upgrade (`hepatica.result.upgrade_result`), so an analysis written
before the lesion entries were joined compares with one written after. Exit status 1 when anything differs.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np

from hepatica.io.files import read_image
from hepatica.result import StudyResult


def compare(before: Path, after: Path, tolerance: float) -> list[str]:
    """Every difference between the two analyses, in words; empty when they agree."""
    a, b = StudyResult.read_json(before / "result.json"), StudyResult.read_json(after / "result.json")
    problems: list[str] = []

    def same(what: str, x, y) -> None:
        if isinstance(x, float) and isinstance(y, float):
            if not (math.isclose(x, y, rel_tol=0, abs_tol=tolerance) or (math.isnan(x) and math.isnan(y))):
                problems.append(f"{what}: {x!r} != {y!r}")
        elif x != y:
            problems.append(f"{what}: {x!r} != {y!r}")

    for name in ("liver_volume_ml", "lesion_count", "lesion_volume_ml", "tumour_burden_percent", "series_id"):
        same(f"segmentation.{name}", getattr(a.segmentation, name), getattr(b.segmentation, name))
    same("lesion ids", [x.id for x in a.lesions], [x.id for x in b.lesions])
    for x, y in zip(a.lesions, b.lesions, strict=False):
        for name in (
            "volume_ml",
            "longest_axial_diameter_mm",
            "short_axis_mm",
            "axial_slice_z_mm",
            "longest_3d_diameter_mm",
            "centroid_mm",
        ):
            same(f"lesion {x.id} {name}", getattr(x, name), getattr(y, name))
        same(f"lesion {x.id} characterized", x.lirads is not None, y.lirads is not None)
        if x.lirads and y.lirads:
            for name in (
                "category",
                "size_mm",
                "segmented_size_mm",
                "sharpest_phase",
                "reasons",
                "lesion_type_estimate",
            ):
                same(f"lesion {x.id} LI-RADS {name}", getattr(x.lirads, name), getattr(y.lirads, name))
            for feature, finding in x.lirads.features.items():
                other = y.lirads.features.get(feature)
                same(f"lesion {x.id} {feature}", finding.model_dump(), other.model_dump() if other else None)
    if (a.lirads is None) != (b.lirads is None):
        problems.append("LI-RADS ran in one analysis only")
    elif a.lirads:
        same("LI-RADS alignments", a.lirads.model_dump()["alignments"], b.lirads.model_dump()["alignments"])
        same("LI-RADS warnings", a.lirads.warnings, b.lirads.warnings)
    problems += _compare_tables(before, after, a, b, tolerance)
    for mask in ("liver", "lesions"):
        x = read_image(before / a.segmentation.files[mask]).array
        y = read_image(after / b.segmentation.files[mask]).array
        if x.shape != y.shape or not np.array_equal(x, y):
            problems.append(f"{mask} mask differs ({int(np.count_nonzero(x != y))} voxels)")
    return problems


def _compare_tables(before: Path, after: Path, a: StudyResult, b: StudyResult, tolerance: float) -> list[str]:
    if (a.radiomics is None) != (b.radiomics is None):
        return ["radiomics ran in one analysis only"]
    if a.radiomics is None:
        return []
    rows = [_read_csv(folder / r.radiomics.files["table"]) for folder, r in ((before, a), (after, b))]
    if [r["mask"] for r in rows[0]] != [r["mask"] for r in rows[1]]:
        return ["radiomics tables list different ROIs"]
    problems = []
    for x, y in zip(*rows, strict=True):
        if set(x) != set(y):
            problems.append(f"radiomics {x['mask']}: different columns")
            continue
        for column, value in x.items():
            try:
                u, v = float(value), float(y[column])
            except ValueError:
                if value != y[column]:
                    problems.append(f"radiomics {x['mask']} {column}: {value!r} != {y[column]!r}")
                continue
            if not (math.isclose(u, v, rel_tol=0, abs_tol=tolerance) or (math.isnan(u) and math.isnan(v))):
                problems.append(f"radiomics {x['mask']} {column}: {u!r} != {v!r}")
    return problems


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _counts(folder: Path) -> str:
    result = StudyResult.read_json(folder / "result.json")
    seg = result.segmentation
    features = 0
    if result.radiomics:
        rows = _read_csv(folder / result.radiomics.files["table"])
        features = sum(len(r) - 5 for r in rows)
    categories = [x.lirads.category for x in result.lesions if x.lirads]
    return (
        f"liver {seg.liver_volume_ml} mL, {seg.lesion_count} lesions, {len(categories)} LI-RADS categories "
        f"{sorted(set(c for c in categories if c))}, {features} radiomics values"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=1e-9, help="Largest absolute difference of a number.")
    args = parser.parse_args()
    print(f"before: {_counts(args.before)}")
    print(f"after:  {_counts(args.after)}")
    problems = compare(args.before, args.after, args.tolerance)
    for problem in problems:
        print("DIFFERENT:", problem)
    print(f"{len(problems)} difference(s) (numbers compared to {args.tolerance:g})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
