"""Same input, same output: an analysis run with one thread gives the same result.json as one run with every core
(two in CI), timestamps aside. Two runs of the same phantom once differed in 136 LI-RADS values (phase alignment
residuals, HU evidence, washout confidence). bench/determinism.py does the same for the demo and IRCAD 1."""

from __future__ import annotations

import os
import subprocess
import sys

from hepatica.cohort.run import thread_limits
from hepatica.result import reproducible_result_text


def test_one_thread_gives_the_result_of_every_core(small_phantom_files, small_analysis, tmp_path):
    """small_analysis ran in this process with every core; this run is a fresh process with one thread for ONNX
    Runtime, the phase alignment, ITK, OpenMP and BLAS, on the same DICOM study with the same options."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hepatica",
            "analyze",
            str(small_phantom_files.dicom),
            "--out",
            str(tmp_path / "one-thread"),
            "--no-radiomics",
            "--high-risk",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, **thread_limits(workers=1, cores=1)},
    )
    assert done.returncode == 0, done.stderr
    every_core = reproducible_result_text(small_analysis.result_json).splitlines()
    one_thread = reproducible_result_text(tmp_path / "one-thread" / "result.json").splitlines()
    differing = [(a, b) for a, b in zip(every_core, one_thread) if a != b]
    assert len(every_core) == len(one_thread) and not differing, differing[:20]
    print(f"{os.cpu_count()} cores vs 1 thread: {len(every_core)} lines of result.json, all equal")
