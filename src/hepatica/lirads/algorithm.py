"""CT/MRI LI-RADS v2018 as a pure function: an observation's features in, a category and its reasons out.

Implements the ACR CT/MRI LI-RADS v2018 CORE (American College of Radiology, 2018; summarised in Chernyak et al.,
Radiology 2018;289:816-830 and in ../shared/docs/lirads_v2018.md) in the ACR's order of decisions:
applicability, LR-TR for treated observations, LR-NC, LR-TIV, LR-1 / LR-2, LR-M, the diagnostic table, the
optional ancillary-feature adjustment (one category at most, never up to LR-5, none when features conflict),
then the tie-break towards lower certainty. Each step that decides or changes the category adds a reason that
reads like a report sentence. Written by hand: no maintained, permissively licensed library implements it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hepatica.lirads.observation import TARGETOID_FEATURES, Observation

ORDINAL = ("LR-1", "LR-2", "LR-3", "LR-4", "LR-5")


@dataclass(frozen=True)
class Categorization:
    """The result for one observation. ``category`` is None where LI-RADS does not apply."""

    category: str | None
    reasons: list[str]
    id: str | None = None
    table_category: str | None = field(default=None)  # the diagnostic table's, before ancillary features

    def to_json(self) -> dict:
        result = {"category": self.category, "reasons": self.reasons}
        if self.id is not None:
            result = {"id": self.id, **result}
        if self.table_category is not None:
            result["diagnostic_table_category"] = self.table_category
        return result


def categorize(observation: Observation) -> Categorization:
    """The LI-RADS v2018 category of one observation with the ordered reasons behind it."""
    o = observation
    reasons: list[str] = []

    def done(category: str | None, table: str | None = None) -> Categorization:
        return Categorization(category, reasons, o.id, table)

    # 1. who LI-RADS applies to
    if not o.high_risk:
        reasons.append(
            "LI-RADS does not apply: the patient is not at high risk for HCC "
            "(cirrhosis, chronic hepatitis B, current or prior HCC)."
        )
        return done(None)
    if o.age_years is not None and o.age_years < 18:
        reasons.append(f"LI-RADS does not apply: the patient is under 18 ({o.age_years:g} years).")
        return done(None)
    if o.cirrhosis_cause is not None:
        reasons.append(f"LI-RADS does not apply: cirrhosis due to {o.cirrhosis_cause}.")
        return done(None)

    # 2. treated observations: LR-TR
    if o.treated:
        return done(_treatment_response(o, reasons))

    # 3. LR-NC
    if o.missing_phases or o.nonevaluable:
        problem = (
            f"required phase{'s' if len(o.missing_phases) > 1 else ''} missing: {', '.join(o.missing_phases)}"
            if o.missing_phases
            else "image degradation or omission"
        )
        reasons.append(f"LR-NC: {problem}; the observation cannot be categorized.")
        return done("LR-NC")

    # 4. LR-TIV
    if o.tumor_in_vein:
        reasons.append(_sentence("LR-TIV: definite enhancing soft tissue in a vein", o.evidence.get("tumor_in_vein")))
        return done("LR-TIV")

    # 5. LR-1 / LR-2
    if o.benign is not None:
        category = "LR-1" if o.benign == "definite" else "LR-2"
        what = f"{o.benign}ly benign" + (f" ({o.benign_entity})" if o.benign_entity else "")
        reasons.append(_sentence(f"{category}: {what}", o.evidence.get("benign")))
        return done(_tie_break(category, o, reasons))

    # 6. LR-M
    targetoid = [
        f
        for f in TARGETOID_FEATURES
        if f in o.lr_m_features
        or (f == "rim APHE" and o.aphe == "rim")
        or (f == "peripheral washout" and o.washout == "peripheral")
    ]
    other = [f for f in o.lr_m_features if f not in TARGETOID_FEATURES]
    if targetoid or other:
        for name in ("aphe", "washout"):
            if name in o.evidence and getattr(o, name) in ("rim", "peripheral"):
                reasons.append(_sentence(_feature_words(o, name), o.evidence[name]))
        described = (["targetoid appearance (" + ", ".join(targetoid) + ")"] if targetoid else []) + other
        reasons.append(f"LR-M: probably or definitely malignant, not HCC-specific: {'; '.join(described)}.")
        return done(_tie_break("LR-M", o, reasons))

    # 7. the diagnostic table
    if o.size_mm is None:
        reasons.append("LR-NC: no size was given, and the diagnostic table needs one.")
        return done("LR-NC")
    reasons.append(_sentence(f"Size {o.size_mm:.0f} mm", o.evidence.get("size_mm")))
    reasons.append(_sentence(_feature_words(o, "aphe"), o.evidence.get("aphe")))
    additional = [
        name
        for name, present in (
            ("washout", o.washout == "nonperipheral"),
            ("capsule", o.capsule),
            ("threshold_growth", o.threshold_growth),
        )
        if present
    ]
    for name in additional:
        reasons.append(_sentence(_feature_words(o, name), o.evidence.get(name)))
    table = diagnostic_table(o.aphe == "nonrim", o.size_mm, additional)
    column = ("non-rim APHE" if o.aphe == "nonrim" else "no APHE") + ", " + _size_column(o.aphe == "nonrim", o.size_mm)
    row = {0: "no additional major feature", 1: "one additional major feature"}.get(
        len(additional), "two or more additional major features"
    )
    reasons.append(f"Diagnostic table: {column}, {row} -> {table}.")

    # 8. ancillary features, 9. tie-break
    category = _ancillary_adjustment(table, o, reasons)
    return done(_tie_break(category, o, reasons), table)


def diagnostic_table(nonrim_aphe: bool, size_mm: float, additional: list[str]) -> str:
    """The v2018 CT/MRI diagnostic table. ``additional`` names the additional major features present among
    "washout" (non-peripheral), "capsule" (enhancing) and "threshold_growth"."""
    count = len(additional)
    if not nonrim_aphe:
        if count == 0:
            return "LR-3"
        if count == 1:
            return "LR-3" if size_mm < 20 else "LR-4"
        return "LR-4"
    if size_mm < 10:
        return "LR-3" if count == 0 else "LR-4"
    if size_mm < 20:
        if count == 0:
            return "LR-3"
        if count == 1:
            return "LR-4" if additional == ["capsule"] else "LR-5"
        return "LR-5"
    return "LR-4" if count == 0 else "LR-5"


def lower_certainty(first: str, second: str) -> str:
    """LI-RADS tie-break: of two categories a reader hesitates between, the one reflecting lower certainty
    (nearer LR-3 on the ordinal scale; LR-M rather than LR-4 or LR-5, which would claim HCC)."""
    pair = {first, second}
    if "LR-M" in pair:
        return "LR-M"
    return min(pair, key=lambda c: abs(ORDINAL.index(c) - 2))  # neighbours: one of them is nearer LR-3


def _size_column(nonrim_aphe: bool, size_mm: float) -> str:
    if not nonrim_aphe:
        return "< 20 mm" if size_mm < 20 else ">= 20 mm"
    return "< 10 mm" if size_mm < 10 else ("10-19 mm" if size_mm < 20 else ">= 20 mm")


def _ancillary_adjustment(category: str, o: Observation, reasons: list[str]) -> str:
    malignant = list(o.ancillary.favor_malignancy) + list(o.ancillary.favor_hcc)
    benign = list(o.ancillary.favor_benign)
    if not malignant and not benign:
        return category
    if malignant and benign:
        reasons.append(
            f"Ancillary features conflict (favouring malignancy: {', '.join(malignant)}; favouring "
            f"benignity: {', '.join(benign)}): no adjustment."
        )
        return category
    index = ORDINAL.index(category)
    if malignant:
        words = f"Ancillary features favouring malignancy ({', '.join(malignant)})"
        if category in ("LR-4", "LR-5"):
            reasons.append(f"{words}: {category} kept; ancillary features cannot upgrade to LR-5.")
            return category
        upgraded = ORDINAL[index + 1]
        reasons.append(f"{words}: upgraded from {category} to {upgraded}.")
        return upgraded
    downgraded = ORDINAL[index - 1]
    reasons.append(
        f"Ancillary features favouring benignity ({', '.join(benign)}): downgraded from {category} to {downgraded}."
    )
    return downgraded


def _tie_break(category: str, o: Observation, reasons: list[str]) -> str:
    if o.unsure_between is None:
        return category
    first, second = o.unsure_between
    chosen = lower_certainty(first, second)
    reasons.append(f"Unsure between {first} and {second}: {chosen}, the category reflecting lower certainty.")
    return chosen


def _treatment_response(o: Observation, reasons: list[str]) -> str:
    if o.nonevaluable or o.missing_phases:
        problem = (
            ("required phases missing: " + ", ".join(o.missing_phases))
            if o.missing_phases
            else "image degradation or omission"
        )
        reasons.append(f"LR-TR Nonevaluable: {problem}.")
        return "LR-TR Nonevaluable"
    response = o.treatment_response
    evidence = o.evidence.get("treatment_response")
    if response is None:  # the input model insists on it unless APHE or washout shows viable tissue
        response = "viable"
        evidence = evidence or ", ".join(
            _feature_words(o, n).lower() for n in ("aphe", "washout") if getattr(o, n) != "none"
        )
    if response == "viable":
        size = f"; viable tissue {o.viable_size_mm:.0f} mm" if o.viable_size_mm else ""
        reasons.append(
            _sentence(
                "LR-TR Viable: nodular, mass-like or thick irregular enhancing tissue in or "
                "along the treated observation" + size,
                evidence,
            )
        )
        return "LR-TR Viable"
    if response == "atypical":
        reasons.append(
            _sentence(
                "LR-TR Equivocal: enhancement atypical for the treatment and not meeting viability criteria", evidence
            )
        )
        return "LR-TR Equivocal"
    what = "no lesional enhancement" if response == "none" else "the expected post-treatment enhancement pattern"
    reasons.append(_sentence(f"LR-TR Nonviable: {what}", evidence))
    return "LR-TR Nonviable"


def _feature_words(o: Observation, name: str) -> str:
    if name == "aphe":
        return {"none": "No APHE", "nonrim": "Non-rim APHE", "rim": "Rim APHE"}[o.aphe]
    if name == "washout":
        return {"none": "No washout", "nonperipheral": "Non-peripheral washout", "peripheral": "Peripheral washout"}[
            o.washout
        ]
    if name == "capsule":
        return "Enhancing capsule"
    return "Threshold growth"


def _sentence(words: str, evidence: str | None) -> str:
    return f"{words}: {evidence}." if evidence else f"{words}."
