"""The one error every identifier rule raises, so the web layer has a single thing to catch."""

from __future__ import annotations


class IdentifierError(ValueError):
    """A rejected input, carrying what the form needs to show it next to its field (X5).

    The machine ``code`` (``"<field>.<reason>"``) lets pages, tests and metrics tell failures
    apart without parsing prose. The sentence the user reads lives in the catalogs
    (``texts/``) under ``error.<key>``, in Indonesian and English; ``params`` fill its
    placeholders, and a ``label`` parameter names the field whose label goes into it. ``key``
    is the code unless several rules share one sentence. Parameters never carry the rejected
    value, so an error may be logged without leaking a personal identifier (X3).
    """

    def __init__(self, code: str, *, key: str | None = None, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.key = key or code
        self.params = params

    @property
    def field(self) -> str:
        """The form field the error belongs to, so a page can place it beside that field."""
        return self.code.split(".", 1)[0]

    def on_field(self, field: str) -> IdentifierError:
        """The same refusal placed beside another form field (``person_name.title`` on the
        form's ``name`` becomes ``name.title``), keeping the rule's sentence."""
        if field == self.field:
            return self
        reason = self.code.split(".", 1)[1] if "." in self.code else "invalid"
        return IdentifierError(f"{field}.{reason}", key=self.key, **self.params)

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"IdentifierError(code={self.code!r})"
