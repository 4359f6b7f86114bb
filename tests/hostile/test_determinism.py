"""Same input, same output: an analysis run with one thread gives the same result.json as one run with every core
(two in CI), timestamps aside. Two runs of the same phantom once differed in 136 LI-RADS values (phase alignment
residuals, HU evidence, washout confidence). bench/determinism.py does the same for the demo and IRCAD 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: Keys meant to differ between runs (result.json holds none of the UIDs each run creates for its SEG and SR).
VOLATILE_KEYS = ("created_utc",)


def _without_volatile(value):
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def _result_lines(folder) -> list[str]:
    result = json.loads((folder / "result.json").read_text())
    return json.dumps(_without_volatile(result), indent=1, sort_keys=True).splitlines()


def test_one_thread_gives_the_result_of_every_core(small_phantom_files, small_analysis, tmp_path):
    """small_analysis ran in this process with every core; this run is a fresh process with one thread for ONNX
    Runtime, the phase alignment, ITK, OpenMP and BLAS, on the same DICOM study with the same options."""
    threads = ("HEPATICA_THREADS", "ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
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
        env={**os.environ, **dict.fromkeys(threads, "1")},
    )
    assert done.returncode == 0, done.stderr
    every_core = _result_lines(small_analysis.result_json.parent)
    one_thread = _result_lines(tmp_path / "one-thread")
    differing = [(a, b) for a, b in zip(every_core, one_thread) if a != b]
    assert len(every_core) == len(one_thread) and not differing, differing[:20]
    print(f"{os.cpu_count()} cores vs 1 thread: {len(every_core)} lines of result.json, all equal")
