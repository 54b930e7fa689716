"""Email addresses: the username in AKSes (A2) and where every link and notice goes (C2, I2).

Deliberately stricter than RFC 5322: no quoted local parts, no IP-literal domains, ASCII only,
a dotted domain with an alphabetic (or IDNA ``xn--``) top-level label. Such addresses are what
mail servers and Keycloak accept and what people actually type; anything else is a typo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gerbang_sidecar.domain.identifiers._text import Field, prepare, too_long

FIELD = Field("email")
MAX_LENGTH = 254  # RFC 5321 path limit minus the angle brackets
MAX_LOCAL_LENGTH = 64
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD_RE = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")


@dataclass(frozen=True, slots=True)
class EmailAddress:
    value: str
    local_part: str
    domain: str


def parse_email(raw: str | None) -> EmailAddress:
    """Lower-case the domain (case-insensitive by definition); keep the local part as typed."""
    text = prepare(raw, FIELD, MAX_LENGTH)
    if len(text) > MAX_LENGTH:
        raise too_long(FIELD, MAX_LENGTH)
    local, at, domain = text.rpartition("@")
    domain = domain.lower()
    if not (
        at
        and text.isascii()
        and len(local) <= MAX_LOCAL_LENGTH
        and _LOCAL_RE.fullmatch(local)
        and _valid_domain(domain)
    ):
        raise FIELD.error("format")
    return EmailAddress(value=f"{local}@{domain}", local_part=local, domain=domain)


def _valid_domain(domain: str) -> bool:
    labels = domain.split(".")
    return (
        len(labels) >= 2
        and all(_LABEL_RE.fullmatch(label) for label in labels)
        and bool(_TLD_RE.fullmatch(labels[-1]))
    )
