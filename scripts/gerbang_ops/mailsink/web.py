"""The HTTP side: a page to read the mails and a JSON API, on the standard library's server."""

from __future__ import annotations

import html
import json
import logging
import re
import socketserver
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from gerbang_ops.mailsink.store import ID_PATTERN, MessageStore, StoredMessage

log = logging.getLogger(__name__)

_ID = ID_PATTERN.pattern
_ROUTES = {
    "api_list": re.compile(r"/api/messages/?"),
    "api_one": re.compile(rf"/api/messages/(?P<id>{_ID})"),
    "page_one": re.compile(rf"/messages/(?P<id>{_ID})"),
    "page_html": re.compile(rf"/messages/(?P<id>{_ID})/html"),
    "page_raw": re.compile(rf"/messages/(?P<id>{_ID})/raw"),
}
# The mail's own HTML is untrusted: no scripts, no same-origin access to our API, but links
# may open in a new tab (that is how a tester follows a verification link).
_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
_MAIL_CSP = f"sandbox {_SANDBOX}; script-src 'none'; object-src 'none'"
_HEAD_TAG = re.compile(r"<head[^>]*>", re.IGNORECASE)

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1c2430}
table{border-collapse:collapse;width:100%}td,th{padding:.4rem .6rem;border-bottom:1px solid #dde;
text-align:left;vertical-align:top}th{background:#f3f5f8}a{color:#0b5cad}
pre{white-space:pre-wrap;background:#f6f7f9;padding:1rem;border-radius:4px}
iframe{width:100%;height:32rem;border:1px solid #dde}.muted{color:#667}
"""


class MailHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: MessageStore) -> None:
        self.store = store
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a reverse DNS lookup that can stall
        # for seconds in a container; the name is only used in CGI environments anyway.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class _Handler(BaseHTTPRequestHandler):
    server: MailHTTPServer
    server_version = "GerbangMailSink"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        to = (query.get("to") or [None])[0]
        store = self.server.store
        if url.path == "/health":
            return self._json({"status": "up"})
        if url.path == "/":
            return self._html(_list_page(store.list(to), to))
        if _ROUTES["api_list"].fullmatch(url.path):
            messages = [m.summary() for m in store.list(to)]
            return self._json({"count": len(messages), "messages": messages})
        for name in ("api_one", "page_one", "page_html", "page_raw"):
            match = _ROUTES[name].fullmatch(url.path)
            if match:
                message = store.get(match["id"])
                if message is None:
                    return self._not_found(name.startswith("api"))
                return self._message(name, message)
        return self._not_found(url.path.startswith("/api/"))

    def do_DELETE(self) -> None:
        path = urlsplit(self.path).path
        store = self.server.store
        if _ROUTES["api_list"].fullmatch(path):
            return self._json({"deleted": store.clear()})
        match = _ROUTES["api_one"].fullmatch(path)
        if match and store.delete(match["id"]):
            return self._json({"deleted": 1})
        return self._not_found(True)

    def _message(self, route: str, message: StoredMessage) -> None:
        if route == "api_one":
            self._json(message.detail())
        elif route == "page_one":
            self._html(_message_page(message))
        elif route == "page_html":
            self._send(HTTPStatus.OK, _framed_html(message.html or "").encode("utf-8"),
                       "text/html; charset=utf-8", {"Content-Security-Policy": _MAIL_CSP})
        else:
            self._send(HTTPStatus.OK, message.raw, "text/plain; charset=utf-8")

    def _not_found(self, api: bool) -> None:
        if api:
            self._json({"error": "not found"}, HTTPStatus.NOT_FOUND)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain; charset=utf-8")

    def _json(self, payload: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _html(self, page: str) -> None:
        self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def _page(title: str, body: str, refresh: bool = False) -> str:
    meta = '<meta http-equiv="refresh" content="5">' if refresh else ""
    return (f'<!doctype html><html lang="id"><head><meta charset="utf-8">{meta}'
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>{body}</body></html>")


def _list_page(messages: list[StoredMessage], to: str | None) -> str:
    rows = "".join(
        f"<tr><td>{m.received_at:%Y-%m-%d %H:%M:%S}</td>"
        f"<td>{html.escape(', '.join(m.to or m.rcpt_tos))}</td>"
        f'<td><a href="/messages/{m.id}">{html.escape(m.subject or "(tanpa subjek)")}</a></td></tr>'
        for m in messages)
    if not rows:
        rows = '<tr><td colspan="3" class="muted">Belum ada email.</td></tr>'
    title = f"Mail sink — {to}" if to else "Mail sink"
    clear = ("<button onclick=\"fetch('/api/messages',{method:'DELETE'})"
             ".then(()=>location.reload())\">Hapus semua</button>")
    return _page(title, f"<h1>{html.escape(title)}</h1><p>{len(messages)} email "
                        f"(UTC, terbaru di atas) {clear}</p>"
                        f"<table><tr><th>Waktu</th><th>Kepada</th><th>Subjek</th></tr>{rows}"
                        "</table>", refresh=True)


def _message_page(m: StoredMessage) -> str:
    meta = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in (("Waktu", f"{m.received_at:%Y-%m-%d %H:%M:%S} UTC"), ("Dari", m.sender),
                     ("Kepada", ", ".join(m.to)), ("Envelope", f"{m.mail_from} → "
                                                   f"{', '.join(m.rcpt_tos)}"),
                     ("Subjek", m.subject)))
    links = "".join(
        f'<li><a href="{html.escape(link)}" target="_blank" rel="noopener noreferrer">'
        f"{html.escape(link)}</a></li>" for link in m.links)
    parts = [f'<p><a href="/">← semua email</a> · <a href="/messages/{m.id}/raw">sumber</a></p>',
             f"<h1>{html.escape(m.subject or '(tanpa subjek)')}</h1><table>{meta}</table>"]
    if links:
        parts.append(f"<h2>Tautan</h2><ul>{links}</ul>")
    if m.html is not None:
        parts.append(f'<h2>HTML</h2><iframe sandbox="{_SANDBOX}" '
                     f'src="/messages/{quote(m.id)}/html" title="HTML"></iframe>')
    if m.text is not None:
        parts.append(f"<h2>Teks</h2><pre>{html.escape(m.text)}</pre>")
    if m.attachments:
        items = "".join(f"<li>{html.escape(a.filename)} ({html.escape(a.content_type)}, "
                        f"{a.size} B)</li>" for a in m.attachments)
        parts.append(f"<h2>Lampiran</h2><ul>{items}</ul>")
    return _page(m.subject or "Mail sink", "".join(parts))


def _framed_html(body: str) -> str:
    # Links inside the sandboxed frame open a new tab instead of replacing the frame.
    base = '<base target="_blank">'
    match = _HEAD_TAG.search(body)
    if match:
        return body[:match.end()] + base + body[match.end():]
    return base + body
