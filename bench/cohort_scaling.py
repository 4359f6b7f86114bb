"""Throughput of ``hepatica cohort run`` on a local Dask cluster with 1 and 2 worker processes.

    python bench/cohort_scaling.py [--studies 6] [--full]

The studies are copies of the coarse four-phase phantom (2 x 2 x 3 mm, three lesions) as DICOM; analyses run
without radiomics and LI-RADS unless ``--full``. Prints studies per minute for each worker count, how many cores the
workers kept busy on average (their CPU time over the wall time: the room left for more workers), and the speed-up
of 2 workers over 1 (measured in the same run). Local workers share the cores (``thread_limits``). Report the
figures with the machine's core count.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from hepatica.cohort.run import run_cohort
from hepatica.options import AnalysisOptions
from hepatica.phantom.generate import LesionSpec, make_phantom_study
from hepatica.phantom.kinetics import LesionType
from hepatica.phantom.write import write_phantom_study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--studies", type=int, default=6)
    parser.add_argument("--full", action="store_true", help="With radiomics and LI-RADS.")
    args = parser.parse_args()
    options = AnalysisOptions() if args.full else AnalysisOptions(radiomics=False, lirads=False)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        study = make_phantom_study(
            seed=7,
            spacing_mm=(2.0, 2.0, 3.0),
            lesions=[LesionSpec(LesionType.HCC, 30), LesionSpec(LesionType.CYST, 20), LesionSpec(LesionType.FNH, 24)],
        )
        dicom = write_phantom_study(study, root / "phantom").dicom
        lines = ["case,input"]
        for n in range(args.studies):
            shutil.copytree(dicom, root / "studies" / f"s{n}")
            lines.append(f"s{n},studies/s{n}")
        (root / "cohort.csv").write_text("\n".join(lines) + "\n")
        rates = {}
        for workers in (1, 2):
            started, cpu_before = time.perf_counter(), _children_cpu_seconds()
            outcomes = run_cohort(root / "cohort.csv", root / f"out{workers}", workers=workers, options=options)
            elapsed = time.perf_counter() - started
            busy = (_children_cpu_seconds() - cpu_before) / elapsed
            assert all(o.state == "done" for o in outcomes), outcomes
            rates[workers] = len(outcomes) / elapsed * 60
            print(
                f"{workers} worker(s): {len(outcomes)} studies in {elapsed:.0f} s = {rates[workers]:.2f} studies/min;"
                f" {busy:.2f} cores busy on average"
            )
        print(f"speed-up of 2 workers over 1: {rates[2] / rates[1]:.2f}x on {os.cpu_count()} CPU cores")


def _children_cpu_seconds() -> float:
    """CPU time (user + system) of the worker processes that have ended (the cluster's, once it is closed)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()
