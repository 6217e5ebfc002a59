"""Release codes: good ISRCs and UPC/EANs normalized, bad ones refused with the rule they break."""

from __future__ import annotations

import pytest

from devices.errors import ConfigError
from hybrid.metadata import normalize_isrc, normalize_upc_ean, upc_ean_check_digit


def test_isrc_hyphens_and_case_are_presentation_only() -> None:
    assert normalize_isrc("gb-aye-26-00001") == "GBAYE2600001"
    assert normalize_isrc("  ") == ""


@pytest.mark.parametrize(("code", "part"), [
    ("1BAYE2600001", "country code"),
    ("GBA#E2600001", "registrant code"),
    ("GBAYEX600001", "year"),
    ("GBAYE260000A", "designation code"),
])
def test_a_bad_isrc_names_the_part_that_is_wrong(code: str, part: str) -> None:
    with pytest.raises(ConfigError, match=part) as info:
        normalize_isrc(code, field="tracks[t1].isrc")
    assert "CC-XXX-YY-NNNNN" in str(info.value) and "tracks[t1].isrc" in str(info.value)


def test_an_isrc_of_the_wrong_length_says_how_long_it_is() -> None:
    with pytest.raises(ConfigError, match="this one has 11"):
        normalize_isrc("GBAYE260000")


def test_check_digits_match_published_codes() -> None:
    # published EAN-13 4006381333931 (GS1's example) and UPC-A 036000291452
    assert upc_ean_check_digit("400638133393") == 1
    assert normalize_upc_ean("4006381333931") == "4006381333931"
    assert normalize_upc_ean("036000291452") == "0036000291452"


def test_a_wrong_check_digit_is_refused_with_the_right_one() -> None:
    with pytest.raises(ConfigError, match="check digit .* must be 1, not 2"):
        normalize_upc_ean("4006381333932", field="album.upc_ean")


@pytest.mark.parametrize("code", ["40063813339", "400638133393A", "40063813339311"])
def test_upc_ean_must_be_12_or_13_digits(code: str) -> None:
    with pytest.raises(ConfigError, match="UPC is 12 digits and an EAN 13"):
        normalize_upc_ean(code)
