"""Screenshots of the report and the viewer, for the phantom demo and (when ../shared/data has it) 3D-IRCADb
patient 1, so that anyone can look at what Hepatica shows.

    python scripts/screenshots.py --out screenshots/

Runs ``hepatica demo`` and ``hepatica analyze`` on IRCAD patient 1 into ``--work`` (kept, so a second run with
the same folder reuses the analyses), serves them with ``hepatica serve``'s application on a loopback port and
drives Debian's Chromium with Playwright: for each study the report page (whole page, and the first screen of
the PDF's page 1 via pdftoppm when installed), the viewer on the portal-venous phase, then the arterial phase
with the largest lesion selected, then all three planes. Prints what each screenshot holds.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IRCAD = REPO.parent / "shared" / "data" / "ircad" / "3Dircadb1.1" / "PATIENT_DICOM"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def hepatica(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "hepatica", *args, "--quiet"], check=True)


def analyses(work: Path, ircad: Path | None) -> list[str]:
    """Run the analyses that are not in ``work`` yet; the study ids."""
    studies = ["demo"]
    if not (work / "demo" / "result.json").is_file():
        print("running hepatica demo ...", flush=True)
        hepatica("demo", "--out", str(work / "demo"))
    if ircad is not None and ircad.is_dir():
        studies.append("ircad-patient-1")
        if not (work / "ircad-patient-1" / "result.json").is_file():
            print("analysing IRCAD patient 1 ...", flush=True)
            hepatica("analyze", str(ircad), "--out", str(work / "ircad-patient-1"), "--high-risk")
    else:
        print(f"IRCAD patient 1 not found at {ircad}: screenshots of the demo only")
    return studies


def shoot(base: str, studies: list[str], work: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        sys.exit("Chromium is needed: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(base + "/")
        page.wait_for_selector("a.open-viewer")
        page.screenshot(path=out / "studies.png")
        print(f"{out / 'studies.png'}: the study list")
        for study in studies:
            page.goto(f"{base}/studies/{study}/files/report.html")
            page.screenshot(path=out / f"{study}_report.png", full_page=True)
            print(f"{out / f'{study}_report.png'}: the whole report page")
            page.goto(f"{base}/studies/{study}")
            page.wait_for_function("window.hepaticaViewer && window.hepaticaViewer.ready", timeout=120_000)
            page.wait_for_timeout(500)
            page.screenshot(path=out / f"{study}_viewer.png")
            phases = page.evaluate("hepaticaViewer.data.phases.map(p => p.key)")
            lesions = page.evaluate("hepaticaViewer.data.lesions.length")
            if "arterial" in phases:
                page.click("#phases button[data-key=arterial]")
            if lesions:
                page.locator("#lesions tr[data-lesion='1']").click()
            page.wait_for_timeout(500)
            page.screenshot(path=out / f"{study}_viewer_lesion.png")
            page.click("#views button[data-key=sliceTypeMultiplanar]")
            page.wait_for_timeout(500)
            page.screenshot(path=out / f"{study}_viewer_planes.png")
            shown = page.evaluate("hepaticaViewer.phase")
            print(
                f"{out / f'{study}_viewer.png'}: viewer, portal venous; _lesion: {shown} phase, "
                f"{'lesion 1 of ' + str(lesions) if lesions else 'no lesion'}; _planes: three planes "
                f"(phases {', '.join(phases)})"
            )
            pdf = work / study / "report.pdf"
            if pdf.is_file() and shutil.which("pdftoppm"):
                subprocess.run(
                    ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "2", str(pdf), str(out / f"{study}_report_pdf")],
                    check=True,
                )
                pages = sorted(p.name for p in out.glob(f"{study}_report_pdf-*.png"))
                print(f"{out}: {', '.join(pages)}: the PDF's first pages")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for the PNG files")
    parser.add_argument(
        "--work", type=Path, default=Path("screenshots-work"), help="folder of the analyses (kept and reused)"
    )
    parser.add_argument("--ircad", type=Path, default=IRCAD, help="IRCAD patient 1's PATIENT_DICOM folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    studies = analyses(args.work.resolve(), args.ircad)
    from hepatica.serve.background import serving

    with serving(args.work.resolve()) as base:
        shoot(base, studies, args.work.resolve(), args.out)


if __name__ == "__main__":
    main()
