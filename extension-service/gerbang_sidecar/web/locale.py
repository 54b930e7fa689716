"""The page language (C5): ``?lang=`` (or Keycloak's ``kc_locale``), then a cookie that
remembers an explicit choice (or the account's language, taken at login), then Indonesian.
Templates get ``t()`` and the ``tr`` filter over the catalogs in ``texts/``."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, g, request

from gerbang_sidecar.texts import DEFAULT, SUPPORTED, has_key, long_time, normalise, translate
from gerbang_sidecar.web.security_headers import shared_by_caches

COOKIE = "gerbang_lang"
_ONE_YEAR = 365 * 24 * 3600


def get_locale() -> str:
    """The current page language (``id`` outside a request)."""
    try:
        return g.get("gerbang_lang", DEFAULT)
    except RuntimeError:  # no app context
        return DEFAULT


def t(key: str, /, **params: object) -> str:
    """The text for ``key`` in the page's language."""
    return translate(key, get_locale(), **params)


def translate_if_key(text: str) -> str:
    """Form labels and errors may be catalog keys or text already in the page's language."""
    return t(text) if has_key(text) else text


def url_with_lang(lang: str) -> str:
    """The current page in another language (the query kept, the form's POST not replayed)."""
    args = {k: v for k, v in request.args.items(multi=False) if k not in ("lang", "kc_locale")}
    args["lang"] = lang
    return f"{request.path}?{urlencode(args)}"


def _choose_locale() -> None:
    asked = normalise(request.args.get("lang")) or normalise(request.args.get("kc_locale"))
    g.gerbang_lang_chosen = asked
    g.gerbang_lang = asked or normalise(request.cookies.get(COOKIE)) or DEFAULT


def adopt_account_locale(locale: object) -> None:
    """After a login: the account's language (the ID token's ``locale`` claim, which Keycloak
    updates when the user picks a language on its login page) becomes the page language and
    is remembered, as Keycloak itself puts a user's own language before the one asked for.
    Anything not supported changes nothing."""
    chosen = normalise(locale) if isinstance(locale, str) else None
    if chosen:
        g.gerbang_lang_chosen = g.gerbang_lang = chosen


def _remember_locale(response: Response) -> Response:
    chosen = g.get("gerbang_lang_chosen")
    if chosen and request.cookies.get(COOKIE) != chosen and not shared_by_caches(request.path):
        response.set_cookie(COOKIE, chosen, max_age=_ONE_YEAR, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response


def init_app(app: Flask) -> None:
    app.before_request(_choose_locale)
    app.after_request(_remember_locale)
    app.jinja_env.globals.update(t=t, current_locale=get_locale, url_with_lang=url_with_lang,
                                 supported_locales=SUPPORTED)
    app.jinja_env.filters["tr"] = translate_if_key
    # "Jumat, 12 September 2025 pukul 08.15 WIB" in the page's language (B12).
    app.jinja_env.filters["long_time"] = lambda moment: (
        long_time(moment, get_locale()) if moment else "-")
