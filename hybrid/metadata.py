"""Release codes checked before anything is written: ISRC per track, UPC/EAN per release."""

from __future__ import annotations

import re
from pathlib import Path

from devices.errors import ConfigError

__all__ = ["normalize_isrc", "normalize_upc_ean", "upc_ean_check_digit"]

# ISO 3901: CC-XXX-YY-NNNNN: country (2 letters), registrant (3 letters or digits),
# year of reference (2 digits), designation (5 digits); hyphens are presentation only.
_ISRC = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[0-9]{2}[0-9]{5}$")
_ISRC_RULE = "an ISRC is CC-XXX-YY-NNNNN: 2 letters, 3 letters or digits, 2 digits, 5 digits (12 characters)"


def normalize_isrc(code: str, *, field: str = "isrc", file: str | Path | None = None) -> str:
    """Return the 12-character ISRC without hyphens or spaces ("" stays ""); refuse a bad one."""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    if not text:
        return ""
    if len(text) != 12:
        raise ConfigError(file, field, code, f"{_ISRC_RULE}; this one has {len(text)}")
    if not _ISRC.match(text):
        part = _isrc_bad_part(text)
        raise ConfigError(file, field, code, f"{_ISRC_RULE}; the {part} is wrong")
    return text


def _isrc_bad_part(text: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", text[:2]):
        return "country code (2 letters)"
    if not re.fullmatch(r"[A-Z0-9]{3}", text[2:5]):
        return "registrant code (3 letters or digits)"
    if not re.fullmatch(r"[0-9]{2}", text[5:7]):
        return "year (2 digits)"
    return "designation code (5 digits)"


def upc_ean_check_digit(body: str) -> int:
    """The GS1 check digit for the digits before it (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_upc_ean(code: str, *, field: str = "upc_ean", file: str | Path | None = None) -> str:
    """Return a 13-digit EAN-13 (a 12-digit UPC-A gets its leading 0); refuse a bad check digit."""
    text = code.strip().replace(" ", "").replace("-", "")
    if not text:
        return ""
    if not text.isdigit() or len(text) not in (12, 13):
        raise ConfigError(file, field, code, "a UPC is 12 digits and an EAN 13 digits, digits only")
    if len(text) == 12:
        text = "0" + text  # UPC-A is EAN-13 with a leading zero; the CD subcode carries 13 digits
    expected = upc_ean_check_digit(text[:12])
    if int(text[12]) != expected:
        raise ConfigError(file, field, code,
                          f"the UPC/EAN check digit (the last digit) must be {expected}, not {text[12]}")
    return text
