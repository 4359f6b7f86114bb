"""The report: one self-contained HTML page and a PDF of it, patient-free unless identifiers are asked for, with
the lesion table, the key images of each lesion and the limitations."""

import re
import shutil
import subprocess

import pytest

from hepatica.io.study import load_study
from hepatica.report.html import lesion_locations, write_report
from hepatica.report.identifiers import patient_identifiers


def _pdf_text(path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (Debian package poppler-utils; .ci/run installs it)")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_the_report_names_no_patient_by_default(small_analysis):
    html = small_analysis.report_html.read_text()
    assert "Phantom" not in html and "HEPATICA-PHANTOM" not in html
    assert "No patient identifiers" in html
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html), "the report must not load anything from outside"


def test_identifiers_appear_in_the_header_only_when_asked_for(small_analysis, small_phantom_files, tmp_path):
    out = tmp_path / "with-identifiers"
    shutil.copytree(small_analysis.report_html.parent, out)
    identifiers = patient_identifiers(load_study(small_phantom_files.dicom))
    assert identifiers["Patient"] == "Phantom Hepatica" and identifiers["Patient ID"].startswith("HEPATICA-PHANTOM")
    html_path, pdf_path = write_report(small_analysis.result, out, identifiers=identifiers)
    header = html_path.read_text().split("</header>")[0]
    assert "Phantom Hepatica" in header and "HEPATICA-PHANTOM" in header
    assert "HEPATICA-PHANTOM" in _pdf_text(pdf_path)
    assert "HEPATICA-PHANTOM" not in (out / "result.json").read_text()


def test_the_pdf_holds_the_same_sections_as_the_page(small_analysis):
    text = _pdf_text(small_analysis.report_pdf)
    for heading in (
        "Hepatica report",
        "Summary",
        "Study inventory",
        "Liver and lesions",
        "LI-RADS v2018",
        "Key images",
        "Provenance",
        "Limitations",
    ):
        assert heading in text, heading
    assert "No patient identifiers" in text and "Phantom" not in text


def test_the_lesion_table_locates_each_lesion_and_each_lesion_has_its_images(small_analysis):
    result = small_analysis.result
    locations = lesion_locations(result)
    series = result.segmentation.series_id
    slices = next(s.geometry.size[2] for s in result.study.series if s.id == series)
    for lesion in result.lesions:
        number = int(re.fullmatch(rf"{series} slice (\d+) of {slices}", locations[lesion.id]).group(1))
        views = [k for k in result.key_images if k.kind == "lesion" and k.lesion_id == lesion.id]
        assert sorted(k.phase for k in views) == sorted(result.study.phases_present)
        on_series = next(k for k in views if k.series_id == series)
        assert on_series.slice_index + 1 == number  # the close view cuts through the slice the table names
    html = small_analysis.report_html.read_text()
    assert html.count("<h3>Lesion ") == min(len(result.lesions), 12)
    assert "Overview: the liver" in html and "<h2>Limitations</h2>" in html


HEADINGS = re.compile(
    r"^\s*(Summary|Warnings|Study inventory|Liver and lesions|LI-RADS v2018|Radiomics|Key images|Provenance|"
    r"Limitations|Lesion \d+|Overview: the liver|Every phase through one point)\b"
)


def test_no_pdf_page_ends_with_a_heading_whose_content_is_on_the_next(demo_dir):
    pages = [page for page in _pdf_text(demo_dir / "report.pdf").split("\f") if page.strip()]
    assert len(pages) > 3
    for number, page in enumerate(pages, start=1):
        last = [line for line in page.splitlines() if line.strip()][-1]
        assert not HEADINGS.match(last), f"page {number} ends with the heading {last.strip()!r}"


def test_two_sizes_are_named_and_lesions_without_radiomics_or_close_views_say_why(small_analysis):
    from hepatica.report.html import render_report
    from hepatica.result import RadiomicsSummary, RoiFeatures

    html = small_analysis.report_html.read_text()
    assert "LI-RADS size (mm)" in html and "Longest axial diameter (mm)" in html and "Two sizes per" in html
    result = small_analysis.result.model_copy(deep=True)
    assert len(result.lesions) >= 2
    liver = RoiFeatures(roi="liver", series_id="S3", image_type="original", features={"stat_mean": 80.0})
    result.radiomics = RadiomicsSummary(
        parameters={"voxel_size_mm": [1, 1, 1], "resegmentation_range": [-200, 300]},
        liver=liver,
        headline=["stat_mean"],
        columns=["case"],
        files={"table": "radiomics/features.csv", "parameters": "radiomics/params.yaml"},
    )
    result.lesions[0].radiomics = RoiFeatures(
        roi="lesion 1", label=1, series_id="S3", image_type="original", features={}, skipped_reason="5 voxel(s)"
    )
    result.key_images = [k for k in result.key_images if k.kind != "lesion" or k.lesion_id == 1]  # as past 12
    rendered = render_report(result, small_analysis.report_html.parent)
    assert "no features: 5 voxel(s)" in rendered
    others = ", ".join(str(lesion.id) for lesion in result.lesions[1:])
    assert f"lesions {others} are smaller and have no close" in rendered
