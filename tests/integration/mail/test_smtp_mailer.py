"""The sidecar's SMTP client against a real SMTP server that demands STARTTLS and a login,
as a production relay does (X3: credentials and mail never cross the wire in clear)."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gerbang_ops.keycloak.server import free_port
from gerbang_sidecar.adapters.mail import Mail, SmtpMailer, redelivery_id


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class _Inbox:
    def __init__(self) -> None:
        self.received: list[Envelope] = []

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 OK"


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[int, _Inbox, ssl.SSLContext]]:
    cert, key = _self_signed(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    inbox = _Inbox()

    def authenticate(server: object, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: object) -> AuthResult:
        ok = getattr(auth_data, "login", b"") == b"gerbang" and \
            getattr(auth_data, "password", b"") == b"rahasia-relay"
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(inbox, hostname="localhost", port=port, tls_context=server_tls,
                            require_starttls=True, authenticator=authenticate,
                            auth_require_tls=True, auth_required=True)
    controller.start()
    client_tls = ssl.create_default_context(cafile=str(cert))
    yield port, inbox, client_tls
    controller.stop()


MAIL = Mail(to="budi@example.test", subject="Kode OTP", text="Kode Anda 12345")


def test_x3_mail_goes_over_starttls_with_login(relay: tuple[int, _Inbox, ssl.SSLContext]) -> None:
    port, inbox, tls = relay
    SmtpMailer("localhost", port, "no-reply@gerbang.test", starttls=True, user="gerbang",
               password="rahasia-relay", tls_context=tls).send(MAIL)
    assert [e.rcpt_tos for e in inbox.received] == [["budi@example.test"]]


def test_x3_relay_demanding_tls_refuses_a_plain_connection(
        relay: tuple[int, _Inbox, ssl.SSLContext]) -> None:
    port, inbox, _tls = relay
    with pytest.raises(Exception):  # noqa: B017 - smtplib raises one of several SMTP errors
        SmtpMailer("localhost", port, "no-reply@gerbang.test").send(MAIL)
    assert inbox.received == []


def test_x3_certificate_is_verified(relay: tuple[int, _Inbox, ssl.SSLContext]) -> None:
    port, inbox, _tls = relay
    with pytest.raises(ssl.SSLError):
        SmtpMailer("localhost", port, "no-reply@gerbang.test", starttls=True, user="gerbang",
                   password="rahasia-relay").send(MAIL)
    assert inbox.received == []


def test_rule3_headers_a_receiver_can_use(relay: tuple[int, _Inbox, ssl.SSLContext]) -> None:
    """A review of the mails: the Message-ID was the outbox key itself -- with ':' (not a
    valid msg-id; parsers cut it short) and account ids -- and no Date, no sender name, no
    Auto-Submitted were sent."""
    from email import message_from_bytes, policy

    port, inbox, tls = relay
    mailer = SmtpMailer("localhost", port, "no-reply@gerbang.test", starttls=True,
                        user="gerbang", password="rahasia-relay", tls_context=tls)
    key = "bsre_activation_link:42:2026-12-03T10:00:00+00:00"
    for _ in range(2):  # a redelivery keeps its Message-ID
        mailer.send(Mail(to="budi@example.test", subject="Aktivasi", text="Tautan",
                         sender_name="BSrE AMS", redelivery_key=key))
    received = [message_from_bytes(e.original_content or b"", policy=policy.default)
                for e in inbox.received]
    first, second = received
    assert first["Message-ID"] == second["Message-ID"]
    message_id = first["Message-ID"]
    assert message_id.startswith("<") and message_id.endswith("@gerbang.test>")
    assert not first["Message-ID"].defects and "bsre_activation_link" not in message_id
    assert message_id == f"<{redelivery_id(key)}@gerbang.test>"
    assert first["From"].addresses[0].display_name == "BSrE AMS"
    assert first["Date"].datetime is not None and first["Auto-Submitted"] == "auto-generated"


@pytest.mark.parametrize("to", ["budi@example.test, siti@example.test",
                                "budi@example.test\r\nBcc: siti@example.test", ""])
def test_x1_one_recipient_or_refused_for_good(relay: tuple[int, _Inbox, ssl.SSLContext],
                                              to: str) -> None:
    """Refused (MailRejected, not retried) before the relay hears of it."""
    from gerbang_sidecar.ports.mail import MailRejected

    port, inbox, tls = relay
    with pytest.raises(MailRejected):
        SmtpMailer("localhost", port, "no-reply@gerbang.test", starttls=True, user="gerbang",
                   password="rahasia-relay", tls_context=tls).send(
            Mail(to=to, subject="x", text="y"))
    assert inbox.received == []
