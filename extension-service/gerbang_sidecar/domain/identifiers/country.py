"""Countries chosen from a list (O2's Negara Asal, O3's issuing country and citizenship):
an ISO 3166-1 alpha-2 code that has a dialling code, since the same list gives the phone's
country code."""

from __future__ import annotations

import re

import phonenumbers

from gerbang_sidecar.domain.identifiers._text import Field, prepare

_CODE_RE = re.compile(r"[A-Z]{2}")


def parse_country(raw: str | None, field: Field) -> str:
    code = prepare(raw, field, 2).upper()
    if not _CODE_RE.fullmatch(code) or code not in phonenumbers.SUPPORTED_REGIONS:
        raise field.error("invalid", key="field.not_in_list")
    return code


def dial_code_of(country: str) -> int:
    return phonenumbers.country_code_for_region(country)


def countries() -> list[tuple[str, int]]:
    """Every country the lists offer, with its dialling code, by ISO code."""
    return sorted((code, phonenumbers.country_code_for_region(code))
                  for code in phonenumbers.SUPPORTED_REGIONS)
