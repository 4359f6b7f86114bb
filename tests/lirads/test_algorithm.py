"""LI-RADS v2018 rules, one assertion per rule, written from the ACR CT/MRI LI-RADS v2018 CORE tables
(../shared/docs/lirads_v2018.md), not from the implementation."""

import pytest

from hepatica.lirads import Observation, categorize, lower_certainty


def category(**features) -> str | None:
    return categorize(Observation(high_risk=True, **features)).category


# Diagnostic table: (APHE, size in mm, additional major features) -> category; each column tested at its edges.
TABLE = [
    # no APHE, < 20 mm
    ("none", 19.9, [], "LR-3"),
    ("none", 5, ["washout"], "LR-3"),
    ("none", 19, ["capsule"], "LR-3"),
    ("none", 19, ["threshold_growth"], "LR-3"),
    ("none", 12, ["washout", "capsule"], "LR-4"),
    # no APHE, >= 20 mm
    ("none", 20, [], "LR-3"),
    ("none", 20, ["capsule"], "LR-4"),
    ("none", 45, ["washout"], "LR-4"),
    ("none", 30, ["washout", "capsule", "threshold_growth"], "LR-4"),
    # non-rim APHE, < 10 mm
    ("nonrim", 9.9, [], "LR-3"),
    ("nonrim", 8, ["washout"], "LR-4"),
    ("nonrim", 8, ["capsule"], "LR-4"),
    ("nonrim", 8, ["washout", "capsule"], "LR-4"),
    # non-rim APHE, 10-19 mm
    ("nonrim", 10, [], "LR-3"),
    ("nonrim", 15, ["capsule"], "LR-4"),
    ("nonrim", 15, ["washout"], "LR-5"),
    ("nonrim", 19.9, ["threshold_growth"], "LR-5"),
    ("nonrim", 10, ["capsule", "washout"], "LR-5"),
    ("nonrim", 12, ["capsule", "threshold_growth"], "LR-5"),
    # non-rim APHE, >= 20 mm
    ("nonrim", 20, [], "LR-4"),
    ("nonrim", 20, ["capsule"], "LR-5"),
    ("nonrim", 35, ["washout"], "LR-5"),
    ("nonrim", 60, ["washout", "capsule", "threshold_growth"], "LR-5"),
]


@pytest.mark.parametrize("aphe, size, additional, expected", TABLE)
def test_every_cell_of_the_diagnostic_table(aphe, size, additional, expected):
    features = {"washout": "nonperipheral"} if "washout" in additional else {}
    features.update({name: True for name in additional if name != "washout"})
    assert category(aphe=aphe, size_mm=size, **features) == expected


def test_ancillary_features_upgrade_one_category():
    assert category(size_mm=12, ancillary={"favor_malignancy": ["restricted diffusion"]}) == "LR-4"


def test_ancillary_favouring_hcc_upgrade_too():
    assert category(size_mm=12, ancillary={"favor_hcc": ["mosaic architecture"]}) == "LR-4"


def test_ancillary_features_never_upgrade_to_lr5():
    result = categorize(
        Observation(
            high_risk=True,
            aphe="nonrim",
            size_mm=25,
            ancillary={
                "favor_malignancy": ["restricted diffusion", "corona enhancement"],
                "favor_hcc": ["nonenhancing capsule"],
            },
        )
    )
    assert (result.table_category, result.category) == ("LR-4", "LR-4")
    assert "cannot upgrade to LR-5" in result.reasons[-1]


def test_ancillary_upgrade_is_one_category_at_most():
    assert (
        category(
            size_mm=12,
            ancillary={
                "favor_malignancy": ["restricted diffusion", "corona enhancement", "mild-moderate T2 hyperintensity"]
            },
        )
        == "LR-4"
    )


def test_ancillary_features_downgrade_one_category():
    assert (
        category(
            aphe="nonrim",
            size_mm=25,
            washout="nonperipheral",
            ancillary={"favor_benign": ["size stability >= 2 years", "marked T2 hyperintensity"]},
        )
        == "LR-4"
    )


def test_no_adjustment_when_ancillary_features_conflict():
    result = categorize(
        Observation(
            high_risk=True,
            size_mm=12,
            ancillary={"favor_malignancy": ["restricted diffusion"], "favor_benign": ["parallels blood pool"]},
        )
    )
    assert result.category == "LR-3" and "conflict" in result.reasons[-1]


@pytest.mark.parametrize(
    "features",
    [
        {"aphe": "rim"},
        {"washout": "peripheral"},
        {"lr_m_features": ["delayed central enhancement"]},
        {"lr_m_features": ["infiltrative appearance"]},
        {"lr_m_features": ["necrosis or severe ischemia"]},
    ],
)
def test_lr_m_for_targetoid_or_other_non_hcc_malignant_features(features):
    assert category(size_mm=30, **features) == "LR-M"


def test_rim_aphe_is_not_aphe_for_the_table():
    assert category(aphe="rim", size_mm=25, washout="nonperipheral", capsule=True) == "LR-M"


def test_lr_tiv_before_lr_m_and_the_table():
    assert category(tumor_in_vein=True, aphe="rim", size_mm=40, washout="nonperipheral") == "LR-TIV"


def test_lr_nc_when_a_required_phase_is_missing():
    result = categorize(Observation(high_risk=True, missing_phases=["arterial", "delayed"], aphe="nonrim", size_mm=30))
    assert result.category == "LR-NC" and "arterial, delayed" in result.reasons[0]


def test_lr_nc_on_image_degradation_before_tumour_in_vein():
    assert category(nonevaluable=True, tumor_in_vein=True) == "LR-NC"


def test_definitely_and_probably_benign():
    assert category(benign="definite", benign_entity="simple cyst", size_mm=12) == "LR-1"
    assert category(benign="probable", size_mm=12, aphe="nonrim") == "LR-2"


@pytest.mark.parametrize(
    "features",
    [
        {"high_risk": False},
        {"high_risk": True, "age_years": 16},
        {"high_risk": True, "cirrhosis_cause": "congenital hepatic fibrosis"},
        {"high_risk": True, "cirrhosis_cause": "vascular disorder"},
    ],
)
def test_lirads_does_not_apply_outside_the_high_risk_population(features):
    result = categorize(Observation(aphe="nonrim", washout="nonperipheral", size_mm=30, **features))
    assert result.category is None and result.reasons[0].startswith("LI-RADS does not apply")


@pytest.mark.parametrize(
    "pair, expected",
    [
        (("LR-1", "LR-2"), "LR-2"),
        (("LR-3", "LR-2"), "LR-3"),
        (("LR-3", "LR-4"), "LR-3"),
        (("LR-5", "LR-4"), "LR-4"),
        (("LR-5", "LR-M"), "LR-M"),
    ],
)
def test_tie_break_chooses_lower_certainty(pair, expected):
    assert lower_certainty(*pair) == expected
    assert category(aphe="nonrim", size_mm=25, washout="nonperipheral", unsure_between=pair) == expected


@pytest.mark.parametrize(
    "response, expected",
    [
        ("none", "LR-TR Nonviable"),
        ("expected", "LR-TR Nonviable"),
        ("atypical", "LR-TR Equivocal"),
        ("viable", "LR-TR Viable"),
    ],
)
def test_treatment_response(response, expected):
    assert category(treated=True, treatment_response=response) == expected


def test_treated_with_aphe_is_viable_and_degraded_is_nonevaluable():
    assert category(treated=True, aphe="nonrim", viable_size_mm=14) == "LR-TR Viable"
    assert category(treated=True, nonevaluable=True) == "LR-TR Nonevaluable"


def test_reasons_read_like_report_sentences_with_their_evidence():
    result = categorize(
        Observation(
            high_risk=True,
            aphe="nonrim",
            size_mm=23,
            washout="nonperipheral",
            evidence={
                "aphe": "lesion 52 HU above liver in arterial phase",
                "size_mm": "portal venous phase, sharpest margin",
            },
        )
    )
    assert result.reasons == [
        "Size 23 mm: portal venous phase, sharpest margin.",
        "Non-rim APHE: lesion 52 HU above liver in arterial phase.",
        "Non-peripheral washout.",
        "Diagnostic table: non-rim APHE, >= 20 mm, one additional major feature -> LR-5.",
    ]
