"""Same input, same output: ``hepatica analyze`` run twice with 1 thread and twice with 2 threads on each study,
and the result.json files compared byte for byte after removing what must differ between runs: the creation
timestamp (the UIDs of the SEG and SR each run creates are in those files only, not in result.json).

    python bench/determinism.py [--studies demo ircad] [--threads 1 2] [--repeats 2]

``demo`` is the demo's phantom (seed 0, four phases, DICOM); ``ircad`` is IRCAD patient 1 (one portal-venous
series, ``../shared/data``). The thread count is set for every library that runs threads (HEPATICA_THREADS for
ONNX Runtime and the phase alignment, ITK, OpenMP, BLAS: `hepatica.cohort.run.thread_limits`) in a fresh process
per run. Prints, per study, each run's seconds and whether its result.json
(`hepatica.result.reproducible_result_text`) equals the first run's; where not, the first differing lines.
Exit status 1 when any run differs.
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hepatica.cohort.run import thread_limits
from hepatica.result import reproducible_result_text

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("HEPATICA_SHARED_DATA", REPO.parent / "shared" / "data"))


def _environment(threads: int) -> dict[str, str]:
    return {**os.environ, **thread_limits(workers=1, cores=threads)}


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
                    text = reproducible_result_text(out / "result.json")
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
