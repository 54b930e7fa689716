"""A small client of the sink's JSON API, for tests and scripts."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import requests


class MailNotReceived(AssertionError):
    """No matching mail arrived in time; the message lists what did arrive."""


class MailSinkClient:
    def __init__(self, http_url: str, *, session: requests.Session | None = None,
                 request_timeout: float = 5.0) -> None:
        self.http_url = http_url.rstrip("/")
        self._session = session or requests.Session()
        self._timeout = request_timeout

    def messages(self, to: str | None = None) -> list[dict[str, Any]]:
        """Summaries (id, received_at, from, to, subject, …), newest first."""
        params = {"to": to} if to else None
        response = self._session.get(f"{self.http_url}/api/messages", params=params,
                                     timeout=self._timeout)
        response.raise_for_status()
        return list(response.json()["messages"])

    def message(self, message_id: str) -> dict[str, Any]:
        """One mail in full: summary plus headers, text, html, links and attachments."""
        response = self._session.get(f"{self.http_url}/api/messages/{message_id}",
                                     timeout=self._timeout)
        response.raise_for_status()
        return dict(response.json())

    def wait_for(self, to: str, subject_contains: str | None = None, timeout: float = 10.0,
                 interval: float = 0.2) -> dict[str, Any]:
        """The newest mail to ``to`` whose subject contains the text (case-insensitive)."""
        wanted = subject_contains.casefold() if subject_contains else None
        deadline = time.monotonic() + timeout
        while True:
            seen = self.messages(to=to)
            for summary in seen:
                if wanted is None or wanted in summary["subject"].casefold():
                    return self.message(summary["id"])
            if time.monotonic() >= deadline:
                subjects = [s["subject"] for s in seen]
                raise MailNotReceived(
                    f"no mail to {to!r} with subject containing {subject_contains!r} within "
                    f"{timeout}s; mails to that address: {subjects}")
            time.sleep(interval)

    def links(self, message: Mapping[str, Any] | str, containing: str | None = None) -> list[str]:
        """Links in a mail (a message dict or its id), optionally only those containing text."""
        if isinstance(message, str):
            message = self.message(message)
        elif "links" not in message:
            message = self.message(message["id"])
        links = list(message["links"])
        return [link for link in links if containing in link] if containing else links

    def clear(self) -> int:
        response = self._session.delete(f"{self.http_url}/api/messages", timeout=self._timeout)
        response.raise_for_status()
        return int(response.json()["deleted"])
