"""``hepatica demo``: a phantom study made and analysed, so that a new user sees every output without data of
their own. A shell over `hepatica.phantom` and `hepatica.pipeline`, like the command line."""

from __future__ import annotations

from pathlib import Path

from hepatica.options import AnalysisOptions
from hepatica.phantom import make_phantom_study
from hepatica.phantom.write import write_phantom_study
from hepatica.pipeline import ProgressCallback, analyze, progress_steps
from hepatica.report.write import AnalysisOutputs


def demo(out_dir: Path | str, seed: int = 0, progress: ProgressCallback | None = None) -> AnalysisOutputs:
    """Generate the phantom study into ``out_dir/phantom`` and analyse its DICOM series into ``out_dir``."""
    out_dir = Path(out_dir)
    step = progress_steps(progress, ("Generating the phantom study", "Writing it as NIfTI and DICOM"))
    step()
    phantom = make_phantom_study(seed=seed)
    step()
    files = write_phantom_study(phantom, out_dir / "phantom")
    options = AnalysisOptions(high_risk=True)  # the phantom patient has cirrhosis
    return analyze(files.dicom, out_dir, options, progress=progress, command=f"demo (phantom seed {seed})")
