"""Every sentence a user reads, in Bahasa Indonesia (first) and English (C5).

The catalogs are gettext ``.po`` files, ``texts/<lang>/LC_MESSAGES/messages.po``, the format
Indonesian translators and their tools (Poedit, Weblate, ``pybabel``) work with. Messages are
found by key (``reg.thanks.title``), so both languages are translations of the same keys and
a test checks that each key exists in both. Placeholders use ``str.format`` names
(``{portal}``); a catalog entry carries gettext's ``python-brace-format`` flag for them.

Domain rules and services return codes with parameters, never text; the web pages and the
outbox's mails turn them into sentences here. Babel reads the ``.po`` files directly (no
compiled ``.mo`` to keep in step), once per process and language.

Why not Flask-Babel: its ``gettext`` answers in the language of the current request, inside
an application context. Our mails and SMS are written by the outbox worker, outside any
request, in the recipient's language, and the rules below ``web/`` must not import Flask.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.messages.pofile import read_po

SUPPORTED = ("id", "en")
DEFAULT = "id"
CATALOG_DIR = Path(__file__).resolve().parent


class Coded(Protocol):
    """What a rule reports instead of text: ``key`` names the catalog entry ``error.<key>``;
    a ``label`` parameter names a field whose label (``label.<name>``) goes into the text."""

    @property
    def key(self) -> str: ...
    @property
    def params(self) -> dict[str, object]: ...


def catalog_path(lang: str) -> Path:
    return CATALOG_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def catalog(lang: str) -> dict[str, str]:
    """Key -> text of one language (entries without a translation are left out)."""
    with catalog_path(lang).open("rb") as handle:
        parsed = read_po(handle, locale=lang)
    return {str(m.id): str(m.string) for m in parsed if m.id and m.string}


def normalise(value: str | None) -> str | None:
    """'en-US' / 'EN' / 'en_GB' -> 'en'; anything unsupported -> None."""
    if not value:
        return None
    lang = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return lang if lang in SUPPORTED else None


def translate(key: str, lang: str | None = None, /, **params: object) -> str:
    """The text for ``key`` in ``lang``; a missing key shows itself rather than break a page."""
    lang = normalise(lang) or DEFAULT
    text = catalog(lang).get(key) or catalog(DEFAULT).get(key) or key
    return text.format(**params) if params else text


def has_key(key: str) -> bool:
    return key in catalog(DEFAULT)


def message(coded: Coded, lang: str | None = None) -> str:
    """The sentence for a rule's refusal (``IdentifierError`` and the like)."""
    params = dict(coded.params)
    if "label" in params:
        params["label"] = translate(f"label.{params['label']}", lang)
    return translate(f"error.{coded.key}", lang, **params)


# Times are shown in Western Indonesian Time, as the portals show them (B12).
JAKARTA = "Asia/Jakarta"
_LONG_TIME = {"id": "EEEE, d MMMM y 'pukul' HH.mm 'WIB'",
              "en": "EEEE, d MMMM y 'at' HH:mm 'WIB'"}


def long_time(moment: datetime, lang: str | None = None) -> str:
    """"Jumat, 12 September 2025 pukul 08.15 WIB" (B12), with Babel's calendar names."""
    chosen = normalise(lang) or DEFAULT
    return format_datetime(moment, _LONG_TIME[chosen], tzinfo=ZoneInfo(JAKARTA),
                           locale=chosen)
