"""Outbox handlers that deliver the sidecar's own messages: mail and SMS.

Each reads what the payload holds, writes the text in the user's language from the catalogs
(texts/) and hands it to the mailer or the message gateway. A temporary
failure raises (the worker retries with backoff); a permanent one raises PermanentFailure.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from gerbang_sidecar.domain.masking import mask
from gerbang_sidecar.domain.registry_results import Accepted
from gerbang_sidecar.portals import find_portal
from gerbang_sidecar.ports.clock import Clock, from_ms
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.mail import Mail, Mailer, MailRejected
from gerbang_sidecar.ports.registries import MessageGateway
from gerbang_sidecar.services.outbox_worker import Delivery, PermanentFailure
from gerbang_sidecar.texts import long_time, translate

log = logging.getLogger(__name__)

# Users are told the time of a change in Western Indonesian Time, as the portals show it.
WIB = ZoneInfo("Asia/Jakarta")


class DeliveryFailed(Exception):
    """The gateway did not take the message now; the worker tries again later."""


@dataclass
class Notifications:
    mailer: Mailer
    gateway: MessageGateway
    keycloak: KeycloakUsers
    clock: Clock  # for how long a code or link still works when it goes out

    def _minutes_left(self, payload: dict[str, object], lifetime_key: str = "ttl_minutes"
                      ) -> int:
        """How long a code or link still works when the message goes out, not when it was
        queued: one delayed by an outage said "15 minutes" with a minute left (a review)."""
        lifetime = int(str(payload[lifetime_key]))
        expires = payload.get("expires_at")
        if not isinstance(expires, str):
            return lifetime
        left = (datetime.fromisoformat(expires) - self.clock()).total_seconds()
        return max(1, min(lifetime, math.ceil(left / 60)))

    @staticmethod
    def _portal(realm: str) -> str:
        found = find_portal(realm)
        return found.name if found else "Gerbang"

    def _mail(self, delivery: Delivery, to: str, subject: str, text: str) -> None:
        try:
            self.mailer.send(Mail(to=to, subject=subject, text=text,
                                  sender_name=self._portal(delivery.payload.get("realm", "")),
                                  redelivery_key=delivery.idempotency_key))
        except MailRejected as exc:
            raise PermanentFailure("mail refused") from exc

    def one_time_code_email(self, delivery: Delivery) -> None:
        """``one_time_code.email`` (A6): the 5-digit code proving a new email."""
        p = delivery.payload
        lang = p.get("locale")
        portal = self._portal(p["realm"])
        self._mail(delivery, p["destination"],
                   translate("mail.otp.subject", lang, portal=portal),
                   translate("mail.otp.body", lang, portal=portal, code=p["code"],
                             minutes=self._minutes_left(p)))

    def one_time_code_whatsapp(self, delivery: Delivery) -> None:
        """``one_time_code.whatsapp`` (B2, B13): the 6-digit code proving a mobile number,
        through the message gateway (which drops a repeat of the same idempotency key)."""
        p = delivery.payload
        text = translate("whatsapp.otp", p.get("locale"), portal=self._portal(p["realm"]),
                         code=p["code"], minutes=self._minutes_left(p))
        result = self.gateway.send("whatsapp", p["destination"], text,
                                   idempotency_key=delivery.idempotency_key)
        if not isinstance(result, Accepted):
            raise DeliveryFailed("message gateway unavailable")

    def bsre_activation_link(self, delivery: Delivery) -> None:
        """``bsre.activation_link`` (B1): "Aktivasi Akun", the link to the activation wizard;
        from self-registration (an address anyone may have typed) without name or instansi."""
        p = delivery.payload
        lang = p.get("locale")
        portal = self._portal(p["realm"])
        expires = datetime.fromisoformat(p["expires_at"]).astimezone(WIB).strftime(
            "%d-%m-%Y %H:%M WIB")
        subject = translate("mail.bsre_activation.subject", lang, portal=portal)
        if p.get("self_registration"):
            body = translate("mail.bsre_self_activation.body", lang, portal=portal,
                             url=p["url"], expires=expires)
        else:
            body = translate("mail.bsre_activation.body", lang, portal=portal, name=p["name"],
                             instansi=p["instansi"], url=p["url"], expires=expires)
        self._mail(delivery, p["to"], subject, body)

    def bsre_activation_rejected(self, delivery: Delivery) -> None:
        """``bsre.activation_rejected`` (B5): the Verifikator's reason; no account exists."""
        p = delivery.payload
        lang = p.get("locale")
        portal = self._portal(p["realm"])
        self._mail(delivery, p["to"],
                   translate("mail.bsre_rejected.subject", lang, portal=portal),
                   translate("mail.bsre_rejected.body", lang, portal=portal, name=p["name"],
                             reason=p["reason"]))

    def _user_mail(self, delivery: Delivery, subject_key: str, body_key: str,
                   **params: object) -> None:
        """A notice to the account's own address, in the account's language."""
        p = delivery.payload
        user = self.keycloak.get_user(p["realm"], p["user_id"])
        if user is None or not user.email:
            log.info("%s %s: no address", delivery.kind, delivery.message_id)
            return
        lang = user.attributes.get("locale") or p.get("locale")
        portal = self._portal(p["realm"])
        self._mail(delivery, user.email, translate(subject_key, lang, portal=portal),
                   translate(body_key, lang, portal=portal, **{
                       k: (v(lang) if callable(v) else v) for k, v in params.items()}))

    def bsre_otp_device_removed(self, delivery: Delivery) -> None:
        """``bsre.otp_device_removed`` (B7, B9): which device went, and why."""
        p = delivery.payload
        self._user_mail(
            delivery, "mail.otp_removed.subject", "mail.otp_removed.body",
            devices=lambda lang: "\n".join(
                f"- {d['label'] or '-'} ({long_time(from_ms(d['added_ms']), lang)})"
                for d in p["devices"]),
            reason=lambda lang: translate(f"mail.otp_removed.reason.{p['reason']}", lang),
            # The owner's own removal warns of a stolen session, the others of a stolen
            # password that added a device (a review: both said "if you did not add one").
            advice=lambda lang: translate("mail.otp_removed.advice." + (
                "by_owner" if p["reason"] == "by_owner" else "added"), lang))

    def bsre_identity_check_link(self, delivery: Delivery) -> None:
        """``bsre.identity_check_link`` (B9): "Pengecekan Data Diri", to the account's own
        address."""
        p = delivery.payload
        self._user_mail(delivery, "mail.identity_check.subject", "mail.identity_check.body",
                        url=p["url"], minutes=self._minutes_left(p, "minutes"))

    def bsre_account_disabled(self, delivery: Delivery) -> None:
        """``bsre.account_disabled`` (B11): the account was disabled; how to get it back."""
        self._user_mail(delivery, "mail.account_disabled.subject",
                        "mail.account_disabled.body")

    def bsre_profile_change_decided(self, delivery: Delivery) -> None:
        """``bsre.profile_change_decided`` (B13): the Verifikator's decision on a change."""
        p = delivery.payload
        outcome = "approved" if p["approved"] else "rejected"
        self._user_mail(
            delivery, f"mail.profile_change.{outcome}.subject",
            f"mail.profile_change.{outcome}.body",
            field=lambda lang: translate(f"bsre.change.field.{p['field']}", lang),
            reason=p.get("reason") or "-")

    def bsre_profile_change_confirmation(self, delivery: Delivery) -> None:
        """``bsre.profile_change_confirmation`` (B13): an officer's change, for the user to
        confirm ("Verifikasi") or refuse ("Tolak") through the link."""
        p = delivery.payload
        self._user_mail(
            delivery, "mail.change_confirmation.subject", "mail.change_confirmation.body",
            field=lambda lang: translate(f"bsre.change.field.{p['field']}", lang),
            # A NIP is an identifier (X3): the page behind the link shows it whole.
            new=mask(p["new"]) if p["field"] == "nip" else p["new"], url=p["url"])

    def bsre_set_passphrase_link(self, delivery: Delivery) -> None:
        """``bsre.set_passphrase_link`` (B17): the link to issue a certificate."""
        p = delivery.payload
        self._user_mail(delivery, "mail.set_passphrase.subject", "mail.set_passphrase.body",
                        url=p["url"], hours=p["hours"])

    def bsre_set_passphrase_whatsapp(self, delivery: Delivery) -> None:
        """``bsre.set_passphrase_whatsapp`` (B17): the same link by WhatsApp, to the number
        the profile holds (proven by a WhatsApp code at activation or change, B2/B13)."""
        p = delivery.payload
        user = self.keycloak.get_user(p["realm"], p["user_id"])
        lang = (user.attributes.get("locale") if user else None) or p.get("locale")
        text = translate("whatsapp.set_passphrase", lang, portal=self._portal(p["realm"]),
                         url=p["url"], hours=p["hours"])
        result = self.gateway.send("whatsapp", p["to"], text,
                                   idempotency_key=delivery.idempotency_key)
        if not isinstance(result, Accepted):
            raise DeliveryFailed("message gateway unavailable")

    def bsre_passphrase_change_invited(self, delivery: Delivery) -> None:
        """``bsre.passphrase_change_invited`` (B22): the Verifikator asks the holder to change
        the passphrase, which only the holder may set."""
        p = delivery.payload
        self._user_mail(delivery, "mail.passphrase_change.subject",
                        "mail.passphrase_change.body", serial_number=p["serial_number"],
                        url=p["url"])

    def bsre_certificate_issued(self, delivery: Delivery) -> None:
        """``bsre.certificate_issued`` (B18): what the new certificate says."""
        p = delivery.payload
        self._user_mail(delivery, "mail.certificate_issued.subject",
                        "mail.certificate_issued.body", common_name=p["common_name"],
                        organization=p["organization"], serial_number=p["serial_number"],
                        description=p["description"])

    def bsre_certificate_revoked(self, delivery: Delivery) -> None:
        """``bsre.certificate_revoked`` (B19)."""
        p = delivery.payload
        self._user_mail(delivery, "mail.certificate_revoked.subject",
                        "mail.certificate_revoked.body", serial_number=p["serial_number"],
                        reason=lambda lang: translate(f"cert.reason.{p['reason']}", lang))

    def bsre_certificate_expiring(self, delivery: Delivery) -> None:
        """``bsre.certificate_expiring`` (item 10): H-30, with the way to renew (B20)."""
        p = delivery.payload
        self._user_mail(delivery, "mail.certificate_expiring.subject",
                        "mail.certificate_expiring.body", serial_number=p["serial_number"],
                        url=p["url"], date=lambda lang: long_time(
                            datetime.fromisoformat(p["not_after"]), lang))

    def bsre_credentials_changed_by_admin(self, delivery: Delivery) -> None:
        """``bsre.credentials_changed_by_admin`` (B7): an administrator changed the account's
        password or OTP devices -- Keycloak's own listener mails only what users do."""
        p = delivery.payload
        self._user_mail(
            delivery, "mail.admin_change.subject", "mail.admin_change.body",
            what=lambda lang: translate(f"mail.admin_change.{p['what']}", lang),
            time=lambda lang: long_time(from_ms(p["at_ms"]), lang))

    def password_reset_sms(self, delivery: Delivery) -> None:
        """``password_reset.sms_link`` (A7): the set-password link by SMS."""
        p = delivery.payload
        lang = p.get("locale")
        text = translate("sms.reset_link", lang, portal=self._portal(p["realm"]),
                         url=p["url"], minutes=self._minutes_left(p))
        result = self.gateway.send("sms", p["to"], text,
                                   idempotency_key=delivery.idempotency_key)
        if not isinstance(result, Accepted):
            raise DeliveryFailed("message gateway unavailable")

    def password_changed(self, delivery: Delivery) -> None:
        """``password_changed.notice`` (C4) for changes Keycloak raises no event for."""
        when = datetime.fromisoformat(delivery.payload["changed_at"]).astimezone(WIB)
        # The account's own language first, as every notice to an account (_user_mail).
        self._user_mail(delivery, "mail.password_changed.subject", "mail.password_changed.body",
                        time=when.strftime("%d-%m-%Y %H:%M WIB"))

    def registration_rejected(self, delivery: Delivery) -> None:
        """``insw.registration_rejected`` (I4): the reviewer's reason, to the address the
        registration gave (no account exists)."""
        p = delivery.payload
        lang = p.get("locale")
        portal = self._portal(p["realm"])
        self._mail(delivery, p["to"],
                   translate("mail.registration_rejected.subject", lang, portal=portal),
                   translate("mail.registration_rejected.body", lang, portal=portal,
                             name=p["name"], organisation=p["organisation"],
                             reason=p["reason"], portal_url=p["portal_url"]))

    def registration_attempt(self, delivery: Delivery) -> None:
        """``registration_attempt.notice`` (X1): someone registered with an identifier of this
        account; nothing was made. Told only to the owner's own mailbox."""
        p = delivery.payload
        user = self.keycloak.get_user(p["realm"], p["user_id"])
        if user is None or not user.email:
            log.info("registration attempt notice %s: no address", delivery.message_id)
            return
        lang = user.attributes.get("locale") or p.get("locale")
        portal = self._portal(p["realm"])
        self._mail(delivery, user.email,
                   translate("mail.registration_attempt.subject", lang, portal=portal),
                   translate("mail.registration_attempt.body", lang, portal=portal,
                             url=p["portal_url"]))

    def login_failure_notice(self, delivery: Delivery) -> None:
        """``login_failure.notice`` (issue 8 item 8): failed logins to this account, at most
        one mail a quarter hour (LoginFailureNotices decides)."""
        p = delivery.payload
        user = self.keycloak.get_user(p["realm"], p["user_id"])
        if user is None or not user.email:
            log.info("login failure notice %s: no address", delivery.message_id)
            return
        lang = user.attributes.get("locale")
        portal = self._portal(p["realm"])
        when = datetime.fromisoformat(p["at"]).astimezone(WIB)
        self._mail(delivery, user.email,
                   translate("mail.login_failure.subject", lang, portal=portal),
                   translate("mail.login_failure.body", lang, portal=portal,
                             count=p["failures"], time=when.strftime("%d-%m-%Y %H:%M WIB")))
