"""A token that arrived in a mailed link (an activation, an identity check, a Set Passphrase
link, a change to confirm): the link's first request moves it into the signed session cookie
and redirects, so the token leaves the URL (history, Referer) before any form is shown; a link
that is unknown, used or expired answers 404 with its own explanation."""

from __future__ import annotations

from dataclasses import dataclass

from flask import redirect, session, url_for
from flask.typing import ResponseReturnValue

from gerbang_sidecar.web.errors import error_page


@dataclass(frozen=True)
class MailedLink:
    session_key: str
    dead_title: str  # catalog keys of the 404 page
    dead_text: str

    def enter(self, token: str, *, usable: bool, endpoint: str) -> ResponseReturnValue:
        """The link's first request: keep the token, go to ``endpoint``; or the 404."""
        if not usable:
            return self.dead()
        session[self.session_key] = token
        return redirect(url_for(endpoint))

    def token(self) -> str | None:
        token = session.get(self.session_key)
        return token if isinstance(token, str) else None

    def forget(self) -> None:
        session.pop(self.session_key, None)

    def dead(self) -> ResponseReturnValue:
        self.forget()
        return error_page(404, title_key=self.dead_title, text_key=self.dead_text)
