"""The one error every identifier rule raises, so the web layer has a single thing to catch."""

from __future__ import annotations


class IdentifierError(ValueError):
    """A rejected input, carrying what the form needs to show it next to its field (X5).

    The machine ``code`` (``"<field>.<reason>"``) lets pages, tests and metrics tell failures apart
    without parsing prose; both messages are ready for the user (C5: Indonesian first). Messages
    never repeat the rejected value, so an error may be logged without leaking a personal
    identifier (X3).
    """

    def __init__(self, code: str, message_id: str, message_en: str) -> None:
        super().__init__(code, message_en)
        self.code = code
        self.message_id = message_id
        self.message_en = message_en

    @property
    def field(self) -> str:
        """The form field the error belongs to, so a page can place it beside that field."""
        return self.code.split(".", 1)[0]

    def message(self, lang: str = "id") -> str:
        """Pick the message for a page language; anything not English falls back to Indonesian."""
        if lang.strip().lower().replace("_", "-").split("-", 1)[0] == "en":
            return self.message_en
        return self.message_id

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def __repr__(self) -> str:
        return f"IdentifierError(code={self.code!r})"
