import math

import pytest

from blotquant.conditions import parse_treatment
from blotquant.errors import InvalidInputError


def test_canonical_label_sorts_agents_and_converts_molar_units():
    t = parse_treatment("temsirolimus 0.01 uM + IFN-alpha 100 IU/mL")
    assert t.label == "IFN-alpha 100 IU/mL + temsirolimus 10 nM"
    assert t.agents == "IFN-alpha+temsirolimus"
    assert math.isnan(t.dose)
    assert t.dose_of("temsirolimus") == pytest.approx(10.0)


@pytest.mark.parametrize("text", ["vehicle", "DMSO", "Control", "temsirolimus 0 nM"])
def test_vehicle_words(text):
    t = parse_treatment(text)
    assert t.is_vehicle
    assert t.label == "vehicle"
    assert t.dose == 0.0


def test_same_unit_mixture_dose_is_sum():
    t = parse_treatment("a 1 nM + b 2 nM")
    assert t.dose == 3.0
    assert t.unit == "nM"


@pytest.mark.parametrize("text", ["temsirolimus", "temsirolimus 10", "a 1 nM + a 2 nM", "", "x -1 nM"])
def test_bad_treatment_names_the_place(text):
    with pytest.raises(InvalidInputError, match=r"sheet\.csv row 3"):
        parse_treatment(text, where="sheet.csv row 3")
