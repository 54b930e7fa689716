"""Places typed as text: O3's issuing office ("Kantor") and place of birth ("Tempat Lahir")."""

from __future__ import annotations

import re

from gerbang_sidecar.domain.identifiers._text import (
    Field,
    collapse_spaces,
    normalise_apostrophes,
    prepare,
)

MAX_LENGTH = 128
# Letters of any script, digits (an office's number), spaces and the punctuation of names.
_PLACE_RE = re.compile(r"[^\W_](?:[^\W_]|[ .,'()/-])*", re.UNICODE)


def parse_place(raw: str | None, field: Field) -> str:
    text = collapse_spaces(normalise_apostrophes(prepare(raw, field, MAX_LENGTH)))
    if len(text) > MAX_LENGTH:
        raise field.error("too_long", key="field.too_long", max_length=MAX_LENGTH)
    if len(text) < 2 or not _PLACE_RE.fullmatch(text):
        raise field.error("invalid", key="field.not_valid")
    return text
