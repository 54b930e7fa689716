"""The sidecar's own texts in Bahasa Indonesia (first) and English (C5).

Catalogs are flat JSON files ``messages_<lang>.json`` next to this module, plus one per feature
(``<feature>.messages_<lang>.json``) so features own their texts; a key may be defined once.
Both languages must hold the same keys (a unit test checks).
Placeholders use ``str.format`` names: ``{portal}``.
The page language comes from ``?lang=`` (or Keycloak's ``kc_locale``), then a cookie that
remembers an explicit choice, then Indonesian.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, g, request

SUPPORTED = ("id", "en")
DEFAULT = "id"
COOKIE = "gerbang_lang"
_CATALOG_DIR = Path(__file__).resolve().parent
_ONE_YEAR = 365 * 24 * 3600


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(_CATALOG_DIR.glob(f"*messages_{lang}.json")):
        with path.open(encoding="utf-8") as handle:
            texts = json.load(handle)
        if clash := merged.keys() & texts.keys():
            raise ValueError(f"{path.name} redefines {sorted(clash)}")
        merged.update(texts)
    return merged


def normalise(value: str | None) -> str | None:
    """'en-US' / 'EN' / 'en_GB' -> 'en'; anything unsupported -> None."""
    if not value:
        return None
    lang = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return lang if lang in SUPPORTED else None


def get_locale() -> str:
    """The current page language (``id`` outside a request)."""
    try:
        return g.get("gerbang_lang", DEFAULT)
    except RuntimeError:  # no app context: e.g. building a message in a script
        return DEFAULT


def translate(key: str, lang: str | None = None, /, **params: object) -> str:
    """The text for ``key``; a missing key shows itself rather than breaking the page."""
    lang = lang or get_locale()
    text = catalog(lang).get(key) or catalog(DEFAULT).get(key) or key
    return text.format(**params) if params else text


def has_key(key: str) -> bool:
    return key in catalog(DEFAULT)


def translate_if_key(text: str) -> str:
    """Form errors may be catalog keys (our validators) or ready text (IdentifierError)."""
    return translate(text) if has_key(text) else text


def url_with_lang(lang: str) -> str:
    """The current page in another language (the query kept, the form's POST not replayed)."""
    args = {k: v for k, v in request.args.items(multi=False) if k not in ("lang", "kc_locale")}
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"


def _choose_locale() -> None:
    asked = normalise(request.args.get("lang")) or normalise(request.args.get("kc_locale"))
    g.gerbang_lang_chosen = asked
    g.gerbang_lang = asked or normalise(request.cookies.get(COOKIE)) or DEFAULT


def _remember_locale(response: Response) -> Response:
    chosen = g.get("gerbang_lang_chosen")
    if chosen and request.cookies.get(COOKIE) != chosen:
        response.set_cookie(COOKIE, chosen, max_age=_ONE_YEAR, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_choose_locale)
    app.after_request(_remember_locale)
    app.jinja_env.globals.update(t=translate, current_locale=get_locale,
                                 url_with_lang=url_with_lang, supported_locales=SUPPORTED)
    app.jinja_env.filters["tr"] = translate_if_key


__all__ = ["COOKIE", "DEFAULT", "SUPPORTED", "catalog", "get_locale", "init_app", "normalise",
           "translate", "translate_if_key", "url_with_lang"]
