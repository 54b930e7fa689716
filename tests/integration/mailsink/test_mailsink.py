"""The mail sink over real SMTP (smtplib) and real HTTP, in-process and as a command."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from gerbang_ops.mailsink import MailNotReceived, MailSink, MailSinkClient

ACTION_LINK = ("https://login.gerbang.test/realms/akses/login-actions/action-token"
               "?key=eyJhbGciOiJIUzUxMiJ9.abc.def&client_id=akses-portal&tab_id=Xy1")


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as running:
        yield running


@pytest.fixture
def client(sink: MailSink) -> MailSinkClient:
    return MailSinkClient(sink.http_url)


def send(sink: MailSink, message: EmailMessage, *,
         to: list[str] | None = None, login: tuple[str, str] | None = None) -> None:
    with smtplib.SMTP(sink.smtp_host, sink.smtp_port, timeout=5) as smtp:
        if login:
            smtp.login(*login)
        smtp.send_message(message, to_addrs=to)


def plain(to: str, subject: str, body: str = "Halo.", cte: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Gerbang <no-reply@gerbang.test>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body, cte=cte)
    return message


def keycloak_like_verification(to: str) -> EmailMessage:
    """Shaped like Keycloak's mail: multipart/alternative, quoted-printable text, base64 HTML."""
    message = EmailMessage()
    message["From"] = "Gerbang AKSes <no-reply@gerbang.test>"
    message["To"] = to
    message["Subject"] = "Verifikasi alamat email Anda – AKSes KSEI"
    message.set_content(
        "Seseorang telah membuat akun AKSes dengan alamat email ini. Jika itu Anda, klik "
        f"tautan di bawah untuk memverifikasi alamat email Anda.\n\n{ACTION_LINK}\n\n"
        "Tautan ini akan kedaluwarsa dalam 5 menit.", cte="quoted-printable")
    message.add_alternative(
        "<html><head><title>x</title></head><body><p>Seseorang telah membuat akun AKSes."
        f' <a href="{ACTION_LINK.replace("&", "&amp;")}">Tautan verifikasi alamat email</a>'
        "</p><p>Tautan ini akan kedaluwarsa dalam 5 menit.</p></body></html>",
        subtype="html", cte="base64")
    return message


def test_c2_mail_sink_captures_verification_mail(sink: MailSink, client: MailSinkClient) -> None:
    message = keycloak_like_verification("investor@contoh.id")
    assert "Content-Transfer-Encoding: quoted-printable" in message.as_string()
    assert "Content-Transfer-Encoding: base64" in message.as_string()
    send(sink, message)

    mail = client.wait_for("investor@contoh.id", subject_contains="verifikasi", timeout=5)

    assert mail["subject"] == "Verifikasi alamat email Anda – AKSes KSEI"
    assert "kedaluwarsa dalam 5 menit" in mail["text"]
    assert ACTION_LINK in mail["text"]  # quoted-printable soft line breaks undone
    assert "Tautan verifikasi alamat email" in mail["html"]
    assert client.links(mail) == [ACTION_LINK]  # &amp; unescaped, same link once
    assert client.links(mail["id"], containing="action-token") == [ACTION_LINK]
    assert mail["mail_from"] == "no-reply@gerbang.test"
    assert mail["rcpt_tos"] == ["investor@contoh.id"]


def test_c5_mail_sink_decodes_indonesian_utf8_subject_and_8bit_body(
        sink: MailSink, client: MailSinkClient) -> None:
    subject = "Kata sandi Anda telah diubah — “Gerbang” ✓"
    body = "Kata sandi akun Anda baru saja diubah pada 22 Nov 2026 pukul 09.15 WIB. Ñandú."
    message = plain("pengguna@contoh.id", subject, body, cte="8bit")
    assert b"Content-Transfer-Encoding: 8bit" in message.as_bytes()
    send(sink, message)

    mail = client.wait_for("pengguna@contoh.id", subject_contains="KATA SANDI", timeout=5)

    assert mail["subject"] == subject
    assert mail["text"].strip() == body
    assert mail["html"] is None
    assert dict(mail["headers"])["Subject"] == subject


def test_mail_sink_filters_by_recipient_newest_first(sink: MailSink,
                                                      client: MailSinkClient) -> None:
    send(sink, plain("a@contoh.id", "pertama"))
    send(sink, plain("b@contoh.id", "untuk b"))
    send(sink, plain("a@contoh.id", "kedua"))
    # Envelope-only recipient (like Bcc) is found as well.
    send(sink, plain("x@contoh.id", "tembusan"), to=["A@Contoh.id"])

    assert [m["subject"] for m in client.messages(to="a@contoh.id")] == [
        "tembusan", "kedua", "pertama"]
    assert [m["subject"] for m in client.messages(to="b@contoh.id")] == ["untuk b"]
    assert client.messages(to="c@contoh.id") == []
    assert len(client.messages()) == 4
    assert client.wait_for("a@contoh.id", timeout=1)["subject"] == "tembusan"


def test_mail_sink_clear_deletes_every_mail(sink: MailSink, client: MailSinkClient) -> None:
    send(sink, plain("a@contoh.id", "satu"))
    send(sink, plain("a@contoh.id", "dua"))
    client.wait_for("a@contoh.id", "dua", timeout=5)

    assert client.clear() == 2
    assert client.messages() == []


def test_mail_sink_wait_for_times_out_naming_the_mails_seen(
        sink: MailSink, client: MailSinkClient) -> None:
    send(sink, plain("a@contoh.id", "Atur ulang kata sandi"))

    started = time.monotonic()
    with pytest.raises(MailNotReceived, match="Atur ulang kata sandi"):
        client.wait_for("a@contoh.id", subject_contains="verifikasi", timeout=0.5)
    assert time.monotonic() - started < 3


def test_mail_sink_api_unknown_message_is_404(sink: MailSink) -> None:
    response = requests.get(f"{sink.http_url}/api/messages/0123456789abcdef", timeout=5)
    assert response.status_code == 404
    assert response.json() == {"error": "not found"}
    assert requests.get(f"{sink.http_url}/api/messages/../../etc", timeout=5).status_code == 404
    assert requests.get(f"{sink.http_url}/health", timeout=5).json() == {"status": "up"}


def test_mail_sink_page_lists_mails_and_shows_html_in_a_sandbox(
        sink: MailSink, client: MailSinkClient) -> None:
    send(sink, keycloak_like_verification("investor@contoh.id"))
    send(sink, plain("x@contoh.id", "<script>alert(1)</script> subjek"))
    mail = client.wait_for("investor@contoh.id", timeout=5)

    listing = requests.get(f"{sink.http_url}/", timeout=5).text
    assert listing.index("&lt;script&gt;alert(1)&lt;/script&gt;") < listing.index(
        "Verifikasi alamat email Anda")  # newest first, escaped
    assert "<script>alert(1)" not in listing
    assert f'href="/messages/{mail["id"]}"' in listing

    page = requests.get(f"{sink.http_url}/messages/{mail['id']}", timeout=5).text
    assert '<iframe sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    assert "kedaluwarsa dalam 5 menit" in page
    assert f'href="{ACTION_LINK.replace("&", "&amp;")}"' in page

    framed = requests.get(f"{sink.http_url}/messages/{mail['id']}/html", timeout=5)
    assert framed.headers["Content-Security-Policy"].startswith("sandbox ")
    assert "script-src 'none'" in framed.headers["Content-Security-Policy"]
    assert '<head><base target="_blank">' in framed.text

    raw = requests.get(f"{sink.http_url}/messages/{mail['id']}/raw", timeout=5)
    assert raw.text.startswith("Return-Path: <no-reply@gerbang.test>")


def test_mail_sink_keeps_eml_files_and_reloads_them(tmp_path: Path) -> None:
    with MailSink(folder=tmp_path) as first:
        send(first, plain("a@contoh.id", "disimpan"))
        mail = MailSinkClient(first.http_url).wait_for("a@contoh.id", timeout=5)
    files = list(tmp_path.glob("*.eml"))
    assert [f.name.endswith(f"-{mail['id']}.eml") for f in files] == [True]

    with MailSink(folder=tmp_path) as second:
        client = MailSinkClient(second.http_url)
        reloaded = client.message(mail["id"])
        assert reloaded["subject"] == "disimpan"
        assert reloaded["rcpt_tos"] == ["a@contoh.id"]
        client.clear()
    assert list(tmp_path.glob("*.eml")) == []


def test_mail_sink_drops_oldest_beyond_max_messages() -> None:
    with MailSink(max_messages=2) as small:
        for n in range(3):
            send(small, plain("a@contoh.id", f"mail {n}"))
        subjects = [m["subject"] for m in MailSinkClient(small.http_url).messages()]
    assert subjects == ["mail 2", "mail 1"]


def test_mail_sink_accepts_any_smtp_login_when_asked() -> None:
    with MailSink(accept_any_auth=True) as open_sink:
        send(open_sink, plain("a@contoh.id", "dengan login"), login=("keycloak", "apa-saja"))
        assert MailSinkClient(open_sink.http_url).wait_for("a@contoh.id", timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mail_sink_runs_as_a_command_on_the_given_ports() -> None:
    smtp_port, http_port = _free_port(), _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gerbang_ops.mailsink", "--host", "127.0.0.1",
         "--smtp-port", str(smtp_port), "--http-port", str(http_port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert f"127.0.0.1:{smtp_port}" in banner and f":{http_port}" in banner
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as smtp:
            smtp.send_message(plain("cli@contoh.id", "lewat perintah"))
        client = MailSinkClient(f"http://127.0.0.1:{http_port}")
        assert client.wait_for("cli@contoh.id", timeout=5)["subject"] == "lewat perintah"
    finally:
        process.terminate()  # SIGTERM: the container runtime's way of stopping it
        assert process.wait(timeout=10) == 0
        process.stdout.close() if process.stdout else None
        process.stderr.close() if process.stderr else None
