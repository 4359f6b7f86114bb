"""The viewer end to end in a real browser: headless Debian Chromium driven by Playwright opens the study list,
loads the demo study, switches phase, clicks a lesion, and the canvas' pixels show the CT with the overlays; a
study uploaded from the page shows its progress and opens in the viewer; the list searches by lesion category.

Skipped (with the reason) where Chromium is not installed, unless HEPATICA_REQUIRE_BROWSER is set, as .ci/run
does: there a missing browser fails the test.
"""

import io
import json
import os
import re
import shutil
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from hepatica.options import AnalysisOptions
from hepatica.serve.background import serving

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_or_skip() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Chromium not installed (Debian package chromium; .ci/run installs it)"
        if os.environ.get("HEPATICA_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def browser():
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A new page, and the script errors it raises, Content Security Policy violations included (the service sends
    a strict CSP: a viewer that needed eval or an outside script would break in a user's browser, not only here)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors = []

    def csp_violation(message):
        if message.type == "error" and "Content Security Policy" in message.text:
            errors.append(message.text)

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", csp_violation)
    yield page, errors
    page.close()


def wait_until(page, expression: str, timeout_s: float = 60.0) -> None:
    """Poll a JavaScript expression from Playwright until it is truthy. Playwright's own wait_for_function evaluates
    its predicate with eval inside the page, which the service's CSP (no 'unsafe-eval') rightly refuses;
    page.evaluate goes through the DevTools protocol, which the page's CSP does not govern."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(f"Boolean({expression})"):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s:.0f} s: {expression}")
        time.sleep(0.1)


def canvas(page) -> np.ndarray:
    """The viewer canvas as the screen shows it (RGB)."""
    page.wait_for_timeout(300)  # let NiiVue draw the last change
    return np.asarray(Image.open(io.BytesIO(page.locator("#gl").screenshot())).convert("RGB")).astype(int)


def ct_pixels(pixels) -> np.ndarray:
    """Grey pixels brighter than the black background: the CT image itself."""
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (abs(r - g) < 10) & (abs(g - b) < 10) & (r > 40)


def lesion_pixels(pixels) -> np.ndarray:
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (r > 150) & (g < 120) & (b < 120)


def liver_pixels(pixels) -> np.ndarray:
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return (g > r + 25) & (g > b + 25)


def test_the_viewer_shows_the_demo_study_switches_phase_and_jumps_to_a_lesion(page, demo_dir):
    page, errors = page
    with serving(demo_dir.parent, workers=0) as server:
        _check_viewer(page, errors, server)


def _check_viewer(page, errors, server):
    page.goto(server + "/")
    page.locator("tr[data-study=demo] a.open-viewer").click()
    wait_until(page, "window.hepaticaViewer && window.hepaticaViewer.ready")
    assert page.evaluate("hepaticaViewer.phase") == "portal_venous"

    portal = canvas(page)
    grey = ct_pixels(portal)
    assert grey.mean() > 0.15, "the canvas should show the CT image"
    assert portal[..., 0][grey].std() > 20, "a CT image has structure, not one flat grey"
    assert liver_pixels(portal).sum() > 2000, "the liver overlay should be drawn"

    page.click("#phases button[data-key=arterial]")
    assert page.evaluate("hepaticaViewer.phase") == "arterial"
    arterial = canvas(page)
    both = ct_pixels(portal) & ct_pixels(arterial)
    assert both.sum() > 10_000
    assert np.abs(arterial[both] - portal[both]).mean() > 3, "another phase should change the image"

    page.locator("#lesions tr[data-lesion='1']").click()
    lesion = page.evaluate("hepaticaViewer.data.lesions[0]")
    crosshair = page.evaluate("Array.from(hepaticaViewer.nv.frac2mm(hepaticaViewer.nv.scene.crosshairPos))")
    assert np.allclose(crosshair[:3], lesion["position_ras_mm"], atol=2.0)  # within a voxel of the lesion
    on_lesion = canvas(page)
    red = lesion_pixels(on_lesion)
    assert red.sum() > 100, "the lesion overlay should be drawn on the slice through the lesion"
    assert ct_pixels(on_lesion).mean() > 0.15 and liver_pixels(on_lesion).sum() > 2000
    assert "Long axis / short axis" in page.locator("#measurements").inner_text()
    assert page.locator("#lesions tr.selected").get_attribute("data-lesion") == "1"

    page.locator("input[data-overlay=lesions]").uncheck()
    assert lesion_pixels(canvas(page)).sum() < red.sum() / 10, "unticking the lesions removes their overlay"
    page.locator("input[data-overlay=lesions]").check()

    print(
        f"canvas {portal.shape[1]}x{portal.shape[0]}: CT pixels {grey.mean():.0%}, liver overlay "
        f"{liver_pixels(portal).sum()} px; arterial vs portal venous mean difference "
        f"{np.abs(arterial[both] - portal[both]).mean():.1f} grey levels; lesion 1 overlay {red.sum()} px, "
        f"crosshair {np.round(crosshair[:3], 1).tolist()} mm for lesion at {lesion['position_ras_mm']}"
    )
    report = page.locator("#report-link").get_attribute("href")
    assert page.request.get(server + report).ok
    assert errors == []


def test_a_study_uploaded_from_the_page_shows_its_progress_and_opens_in_the_viewer(page, small_phantom_files, tmp_path):
    page, errors = page
    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(next(iter(small_phantom_files.nifti.values())).parent.glob("*.nii.gz")):
            z.write(path, f"study/{path.name}")
    with serving(tmp_path / "studies", analysis_options=AnalysisOptions(radiomics=False)) as server:
        page.goto(server + "/")
        page.set_input_files("#file", str(archive))
        page.select_option("#high-risk", "true")
        page.click("#upload button[type=submit]")
        wait_until(page, "document.getElementById('upload-message').textContent.includes('uploaded as')", 30)
        page.wait_for_selector("#studies progress", timeout=60_000)  # the analysis' progress bar in the list
        step = page.locator("#studies tbody tr").first.inner_text()
        assert re.search(r"\(\d/7\)", step), step
        page.wait_for_selector("#studies a.open-viewer", timeout=600_000)
        page.locator("#studies a.open-viewer").click()
        wait_until(page, "window.hepaticaViewer && window.hepaticaViewer.ready")
        assert page.evaluate("hepaticaViewer.data.phases.length") == 4
        assert ct_pixels(canvas(page)).mean() > 0.15
    assert errors == []


def test_the_study_list_searches_by_lesion_category_and_size(page, demo_dir):
    page, errors = page
    result = json.loads((demo_dir / "result.json").read_text())
    present = sorted({lesion["lirads"]["category"] for lesion in result["lesions"] if lesion["lirads"]} - {None})
    absent = next(c for c in ("LR-TIV", "LR-NC", "LR-1", "LR-2") if c not in present)
    with serving(demo_dir.parent, workers=0) as server:
        page.goto(server + "/")
        page.wait_for_selector("tr[data-study=demo]")
        page.select_option("#search-category", absent)
        page.click("#search button[type=submit]")
        page.wait_for_selector("text=No study matches the search.")
        assert page.locator("#search-count").inner_text() == "0 studies"
        page.select_option("#search-category", present[0])
        page.fill("#search-diameter", "1000")  # no lesion is a metre long
        page.click("#search button[type=submit]")
        page.wait_for_selector("text=No study matches the search.")
        page.fill("#search-diameter", "")
        page.click("#search button[type=submit]")
        page.wait_for_selector("tr[data-study=demo]")
        assert page.locator("#search-count").inner_text() == "1 study"
    assert errors == []
