"""AnalysisOptions: defaults, validation with messages that name the option, phases as Hepatica spells them."""

import pytest

from hepatica.options import AnalysisOptions, AnalysisOptionsError, read_options


def test_the_defaults_are_the_standard_analysis():
    options = AnalysisOptions()
    assert options.segment and options.lirads and options.radiomics and options.pdf
    assert options.backend == "bundled" and options.high_risk is None and options.phases == {}


def test_phase_names_are_stored_as_hepatica_spells_them():
    options = read_options({"phases": {"S2": "pv", "3": "Arterial"}})
    assert options.phases == {"S2": "portal_venous", "3": "arterial"}


def test_an_unknown_option_is_named_with_the_known_ones():
    with pytest.raises(AnalysisOptionsError, match=r"job 7: 'identifiers_in_report' is not an analysis option .*"):
        read_options({"identifiers_in_report": True}, "job 7")
    with pytest.raises(AnalysisOptionsError, match="options are: phases, segment, backend"):
        read_options({"radiomcs": False})


def test_a_value_of_the_wrong_kind_is_named():
    with pytest.raises(AnalysisOptionsError, match=r"'interval_days': Input should be greater than or equal to 0"):
        read_options({"interval_days": -3})
    with pytest.raises(AnalysisOptionsError, match=r"'backend': Input should be 'bundled' or 'totalsegmentator'"):
        read_options({"backend": "nnunet"})
    with pytest.raises(AnalysisOptionsError, match="Unknown contrast phase 'hepatobiliary'"):
        read_options({"phases": {"S1": "hepatobiliary"}})
    with pytest.raises(AnalysisOptionsError, match="expected an object"):
        read_options(["radiomics"])


def test_changed_options_are_validated_and_round_trip_through_json():
    options = AnalysisOptions(radiomics=False).with_values(high_risk=True)
    assert options.high_risk is True and options.radiomics is False
    assert read_options(options.to_json()) == options
    with pytest.raises(AnalysisOptionsError):
        options.with_values(high_risk="maybe")
