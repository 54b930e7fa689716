"""Masking anything shaped like a personal identifier in free text (X3): NIK, NPWP, NIB, SID,
passport, phone number or email address. Log lines and stored error texts pass through it,
whatever the code that wrote them put in."""

from __future__ import annotations

import re

# Longest first so a 16-digit NIK is not half-masked as a phone number.
_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-Z]{2}[DF][A-Z0-9]{12}\b"), "[sid]"),
    (re.compile(r"\+?\d[\d .-]{7,}\d"), "[number]"),
    (re.compile(r"\b[A-Z]{1,2}\d{6,8}\b"), "[passport]"),
]


def redact(text: str) -> str:
    for pattern, label in _PATTERNS:
        text = pattern.sub(label, text)
    return text
