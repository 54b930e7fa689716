"""Masking anything shaped like a personal identifier in free text (X3): NIK, NPWP, NIB, SID,
passport, phone number or email address. Log lines and stored error texts pass through it,
whatever the code that wrote them put in.

Identifiers also hide in encoded forms: ``budi%40example.com`` in a URL a library logged,
``\\u0040`` in a JSON body quoted in an error. The text is decoded first, and query strings
are dropped whole: a URL's query is where a search by identifier puts it (``q=nik:…``), and
so are the tokens of the sidecar's mailed links.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus

_QUERY = re.compile(r"(?<=[\w/.\-])\?[^\s\"'<>)\]]+")
# The sidecar's mailed links carry their token as the last path segment (.../t/<token>,
# .../atur/<token>, .../terkirim/<token>), as compose's proxy drops it from its log.
_LINK_TOKEN = re.compile(r"(/(?:t|atur|terkirim)/)[^\s/?#\"'<>]+")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")

# Longest first so a 16-digit NIK is not half-masked as a phone number.
_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-Z]{2}[DF][A-Z0-9]{12}\b"), "[sid]"),
    # Eight digits and more: an NRP has eight, a NIK sixteen, a NIP eighteen.
    (re.compile(r"\+?\d[\d ./,_-]{6,}\d"), "[number]"),
    # Passports: a letter, then 5-8 letters or digits with at least one digit (C7K4P2961,
    # TR5839201, A1234567).
    (re.compile(r"\b[A-Z](?=[A-Z0-9]{5,8}\b)(?=[A-Z0-9]*\d)[A-Z0-9]{5,8}\b"), "[passport]"),
]


def redact(text: str) -> str:
    text = _QUERY.sub("?[query]", text)
    text = _LINK_TOKEN.sub(r"\1[token]", text)
    if "\\u" in text:
        text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if _PERCENT.search(text):
        text = unquote_plus(text)
    for pattern, label in _PATTERNS:
        text = pattern.sub(label, text)
    return text
