"""Same input, same output: ``hepatica analyze`` run twice with 1 thread and twice with 2 threads on each study,
and the result.json files compared byte for byte after removing what must differ between runs: the creation
timestamp (the UIDs of the SEG and SR each run creates are in those files only, not in result.json).

    python bench/determinism.py [--studies demo ircad] [--threads 1 2] [--repeats 2]

``demo`` is the demo's phantom (seed 0, four phases, DICOM); ``ircad`` is IRCAD patient 1 (one portal-venous
series, ``../shared/data``). The thread count is set for every library that runs threads (HEPATICA_THREADS for
ONNX Runtime and the phase alignment, ITK, OpenMP, BLAS) in a fresh process per run. Prints, per study, each run's
seconds and whether its normalised result.json equals the first run's; where not, the first differing lines.
Exit status 1 when any run differs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("HEPATICA_SHARED_DATA", REPO.parent / "shared" / "data"))
#: Keys whose values are meant to change from run to run (result.json holds no UID Hepatica creates: the SEG's and
#: SR's are in those files only).
VOLATILE_KEYS = ("created_utc",)


def normalised(result_json: Path) -> str:
    """result.json with the volatile keys removed, as canonical JSON."""

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in VOLATILE_KEYS}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(json.loads(result_json.read_text())), indent=1, sort_keys=True)


def _environment(threads: int) -> dict[str, str]:
    names = ("HEPATICA_THREADS", "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return {**os.environ, **{name: str(threads) for name in names}}


def _inputs(study: str, scratch: Path) -> list[str]:
    if study == "ircad":
        return [str(DATA / "ircad/3Dircadb1.1/PATIENT_DICOM")]
    if study == "demo":
        folder = scratch / "demo-phantom"
        if not folder.exists():
            subprocess.run([sys.executable, "-m", "hepatica", "phantom", "--out", str(folder)], check=True)
        return [str(folder / "dicom")]
    raise SystemExit(f"unknown study {study!r}: demo or ircad")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", nargs="+", default=["demo", "ircad"])
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    differs = False
    with tempfile.TemporaryDirectory() as scratch:
        for study in args.studies:
            inputs = _inputs(study, Path(scratch))
            reference = None
            for threads in args.threads:
                for run in range(args.repeats):
                    out = Path(scratch) / f"{study}-{threads}-{run}"
                    started = time.perf_counter()
                    subprocess.run(
                        [
                            sys.executable,
                            "-m",
                            "hepatica",
                            "analyze",
                            *inputs,
                            "--out",
                            str(out),
                            "--quiet",
                            "--no-pdf",
                        ],
                        check=True,
                        env=_environment(threads),
                    )
                    seconds = time.perf_counter() - started
                    text = normalised(out / "result.json")
                    if reference is None:
                        reference = text
                    same = text == reference
                    differs |= not same
                    print(
                        f"{study}: {threads} thread(s), run {run + 1}: {seconds:.0f} s, result.json "
                        f"{'identical to the first run' if same else 'DIFFERS'} ({len(text)} characters)"
                    )
                    if not same:
                        diff = difflib.unified_diff(reference.splitlines(), text.splitlines(), lineterm="", n=0)
                        print("\n".join(list(diff)[:40]))
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
