"""The composition root: every adapter and service of the sidecar is built here, once.

``build_services(settings)`` reads the settings and chooses each outside system's
implementation by name (``KEYCLOAK_BACKEND=http|fake``, ``REGISTRY_BACKEND=http|fake``,
``MAIL_BACKEND=smtp|memory|null``), then builds the services on them. ``create_app`` takes the
result, and so does the outbox worker's process; nothing else constructs a service.

Tests pass settings, or build their own container with some parts replaced::

    services = build_services(settings, keycloak=FakeKeycloakUsers(), clock=FakeClock())
    app = create_app(services=services)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from gerbang_sidecar.adapters.ca.keys import RsaSubscriberKeys
from gerbang_sidecar.adapters.ca.stored import StoredCertificateAuthority
from gerbang_sidecar.adapters.captcha.altcha import AltchaProofOfWork
from gerbang_sidecar.adapters.documents.images import PillowImageInspector
from gerbang_sidecar.adapters.documents.pdf import PypdfInspector
from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.mail import FakeMailer, NullMailer, SmtpMailer
from gerbang_sidecar.adapters.metrics.prometheus import PrometheusMetrics
from gerbang_sidecar.adapters.registries import build_http_registries
from gerbang_sidecar.adapters.registries.fakes import build_fake_registries
from gerbang_sidecar.adapters.registries.transport import HttpPolicy
from gerbang_sidecar.adapters.selfies.opencv_faces import OpenCvSelfieInspector
from gerbang_sidecar.adapters.signing.isolated import IsolatedPdfVerifier
from gerbang_sidecar.adapters.signing.pades import PadesSigner, PadesVerifier
from gerbang_sidecar.adapters.storage.crypto import StorageKeys, derive_key, key_material
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.adapters.storage.revocation_mark import RevocationMarkReader
from gerbang_sidecar.config import Settings
from gerbang_sidecar.portals import PORTALS, portal, realms, registries_in_use
from gerbang_sidecar.ports.clock import Clock, utc_now
from gerbang_sidecar.ports.keycloak import KeycloakUsers
from gerbang_sidecar.ports.mail import Mailer
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.ports.registries import Registries
from gerbang_sidecar.services.account_data import AccountDataExport
from gerbang_sidecar.services.akses.legacy_members import LegacyEmailRegistration
from gerbang_sidecar.services.akses.registration import AksesRegistration
from gerbang_sidecar.services.akses.registration.activation import OUTBOX_MAKE_ACCOUNT
from gerbang_sidecar.services.akses.registration.activation_email import (
    OUTBOX_ACTIVATION_EMAIL,
)
from gerbang_sidecar.services.akses.registration.context import RegistrationSettings
from gerbang_sidecar.services.bsre.account import BsreAccount
from gerbang_sidecar.services.bsre.activation import OUTBOX_MAKE_ACCOUNT as BSRE_MAKE_ACCOUNT
from gerbang_sidecar.services.bsre.activation import Activation as BsreActivation
from gerbang_sidecar.services.bsre.compromised_accounts import (
    OUTBOX_DISABLED as BSRE_DISABLED,
)
from gerbang_sidecar.services.bsre.compromised_accounts import (
    OUTBOX_RESET_MAIL as BSRE_RESET_MAIL,
)
from gerbang_sidecar.services.bsre.compromised_accounts import CompromisedAccounts
from gerbang_sidecar.services.bsre.invitations import (
    OUTBOX_ACTIVATION_LINK as BSRE_ACTIVATION_LINK,
)
from gerbang_sidecar.services.bsre.invitations import BsreSettings, Invitations
from gerbang_sidecar.services.bsre.officers import Officers
from gerbang_sidecar.services.bsre.otp_devices import (
    OUTBOX_CHANGED_BY_ADMIN as BSRE_CHANGED_BY_ADMIN,
)
from gerbang_sidecar.services.bsre.otp_devices import (
    OUTBOX_DEVICE_REMOVED as BSRE_OTP_DEVICE_REMOVED,
)
from gerbang_sidecar.services.bsre.otp_devices import OtpDeviceCap, OtpDeviceReconciler
from gerbang_sidecar.services.bsre.otp_requests import (
    OUTBOX_CHECK_LINK as BSRE_CHECK_LINK,
)
from gerbang_sidecar.services.bsre.otp_requests import (
    OUTBOX_OTP_REQUEST as BSRE_OTP_REQUEST,
)
from gerbang_sidecar.services.bsre.otp_requests import OtpRequests
from gerbang_sidecar.services.bsre.profile_changes import (
    OUTBOX_CONFIRMATION as BSRE_CHANGE_CONFIRMATION,
)
from gerbang_sidecar.services.bsre.profile_changes import (
    OUTBOX_DECIDED as BSRE_CHANGE_DECIDED,
)
from gerbang_sidecar.services.bsre.profile_changes import (
    OUTBOX_VERIFY_EMAIL as BSRE_CHANGE_VERIFY_EMAIL,
)
from gerbang_sidecar.services.bsre.profile_changes import ProfileChanges
from gerbang_sidecar.services.bsre.verification import (
    OUTBOX_ACCOUNT_EMAIL as BSRE_ACCOUNT_EMAIL,
)
from gerbang_sidecar.services.bsre.verification import OUTBOX_REJECTED as BSRE_REJECTED
from gerbang_sidecar.services.bsre.verification import Verification as BsreVerification
from gerbang_sidecar.services.captcha import Captcha
from gerbang_sidecar.services.certificates.expiry import OUTBOX_EXPIRING as CERTIFICATE_EXPIRING
from gerbang_sidecar.services.certificates.expiry import CertificateExpiry
from gerbang_sidecar.services.certificates.issuance import (
    OUTBOX_ISSUED as CERTIFICATE_ISSUED,
)
from gerbang_sidecar.services.certificates.issuance import (
    OUTBOX_SET_PASSPHRASE as SET_PASSPHRASE_LINK,
)
from gerbang_sidecar.services.certificates.issuance import (
    OUTBOX_SET_PASSPHRASE_WHATSAPP as SET_PASSPHRASE_WHATSAPP,
)
from gerbang_sidecar.services.certificates.issuance import CertificateIssuance
from gerbang_sidecar.services.certificates.ocsp import OcspResponder
from gerbang_sidecar.services.certificates.passphrases import (
    OUTBOX_CHANGE_INVITED as PASSPHRASE_CHANGE_INVITED,
)
from gerbang_sidecar.services.certificates.passphrases import PassphraseChanges
from gerbang_sidecar.services.certificates.public_verification import PublicVerification
from gerbang_sidecar.services.certificates.revocation import (
    OUTBOX_REVOKED as CERTIFICATE_REVOKED,
)
from gerbang_sidecar.services.certificates.revocation import CertificateRevocation
from gerbang_sidecar.services.certificates.service_keys import ServiceKeys
from gerbang_sidecar.services.certificates.signing import DocumentSigning
from gerbang_sidecar.services.chores import Chore
from gerbang_sidecar.services.identity_index import IdentityIndex, identity_index
from gerbang_sidecar.services.insw.registration import (
    InswRegistrations,
    InswRegistrationSettings,
)
from gerbang_sidecar.services.insw.review import OUTBOX_ACTIVATION_EMAIL as INSW_ACTIVATION_EMAIL
from gerbang_sidecar.services.insw.review import OUTBOX_MAKE_ACCOUNT as INSW_MAKE_ACCOUNT
from gerbang_sidecar.services.insw.review import OUTBOX_REJECTED as INSW_REJECTED
from gerbang_sidecar.services.insw.review import InswReview, InswReviewSettings
from gerbang_sidecar.services.login_failure_notices import (
    OUTBOX_LOGIN_FAILURE_NOTICE,
    LoginFailureNotices,
)
from gerbang_sidecar.services.notifications import Notifications
from gerbang_sidecar.services.one_time_codes import OneTimeCodeService
from gerbang_sidecar.services.oss.registration import (
    OUTBOX_ACTIVATION_EMAIL as OSS_ACTIVATION_EMAIL,
)
from gerbang_sidecar.services.oss.registration import OUTBOX_MAKE_ACCOUNT as OSS_MAKE_ACCOUNT
from gerbang_sidecar.services.oss.registration import OssRegistrations, OssRegistrationSettings
from gerbang_sidecar.services.outbox_worker import Delivery, OutboxWorker, RetryPolicy
from gerbang_sidecar.services.password_reset import PasswordReset
from gerbang_sidecar.services.password_reset.context import (
    OUTBOX_PASSWORD_CHANGED,
    OUTBOX_REQUESTED,
    OUTBOX_SMS_LINK,
    PasswordResetSettings,
)
from gerbang_sidecar.services.portal_sessions import PortalSessions
from gerbang_sidecar.services.rate_limits import RateLimiter
from gerbang_sidecar.services.readiness import CA_PROBE, DATABASE_PROBE, Probe, ReadinessChecks
from gerbang_sidecar.services.registrations.accounts import OUTBOX_REGISTRATION_ATTEMPT
from gerbang_sidecar.services.registrations.unactivated_accounts import UnactivatedAccounts

# Personal data past its promise (pending registrations: 24 hours) goes within this long.
HOUSEKEEPING_SECONDS = 600.0
# Failed logins are read this often; the notice says "just now".
LOGIN_FAILURES_SECONDS = 30.0
# A fourth OTP device added outside the sidecar is removed within this long (B9).
OTP_DEVICES_SECONDS = 5.0
# Certificates past their validity read Expired within this long; H-30 reminders too.
CERTIFICATE_EXPIRY_SECONDS = 3600.0
# The OCSP responder's and the TSA's keys are checked for renewal this often (weeks ahead).
SERVICE_KEYS_SECONDS = 6 * 3600.0
# Lookups catch up themselves; this keeps the work they find small.
IDENTITY_INDEX_SECONDS = 10.0


@dataclass
class Services:
    """Everything the pages and the outbox worker use, built for one process."""

    settings: Settings
    clock: Clock
    storage: Storage
    keycloak: KeycloakUsers
    registries: Registries
    mailer: Mailer
    rate_limiter: RateLimiter
    one_time_codes: OneTimeCodeService
    akses_registration: AksesRegistration
    password_reset: PasswordReset
    legacy_members: LegacyEmailRegistration
    oss_registrations: OssRegistrations
    insw_registrations: InswRegistrations
    insw_review: InswReview
    portal_sessions: PortalSessions
    captcha: Captcha
    bsre_officers: Officers
    bsre_invitations: Invitations
    bsre_activation: BsreActivation
    bsre_verification: BsreVerification
    bsre_otp_devices: OtpDeviceCap
    bsre_account: BsreAccount
    bsre_otp_requests: OtpRequests
    # One per process: every lookup by identifier and the chore share its memo and its
    # single reading of a realm.
    identity_index: IdentityIndex
    bsre_compromised: CompromisedAccounts
    bsre_profile_changes: ProfileChanges
    certificate_authority: StoredCertificateAuthority
    certificates: CertificateIssuance
    ocsp: OcspResponder
    revocation: CertificateRevocation
    passphrases: PassphraseChanges
    signing: DocumentSigning
    public_verification: PublicVerification
    certificate_expiry: CertificateExpiry
    service_keys: ServiceKeys
    account_data: AccountDataExport
    unactivated_accounts: UnactivatedAccounts
    # name -> True when reachable, for the readiness page.
    probes: Mapping[str, Probe] = field(default_factory=dict)
    # The probes without which the process cannot serve (the rest only degrade it).
    essential_probes: tuple[str, ...] = (DATABASE_PROBE,)
    # What the operators see at /metrics (issue 11 item 5).
    metrics: Metrics = NO_METRICS

    @cached_property
    def readiness(self) -> ReadinessChecks:
        """Made on first use: the readiness page's probes, cached and time-bounded."""
        return ReadinessChecks(self.probes, essential=self.essential_probes)

    def outbox_worker(self, **options: Any) -> OutboxWorker:
        """A worker with a handler for every kind of message the sidecar queues."""
        options.setdefault("retry", RetryPolicy(
            base_delay=timedelta(seconds=self.settings.outbox_retry_seconds)))
        options.setdefault("metrics", self.metrics)
        worker = OutboxWorker(self.storage, self.clock, **options)
        notifications = Notifications(mailer=self.mailer,
                                      gateway=self.registries.message_gateway,
                                      keycloak=self.keycloak, clock=self.clock)
        reset = self.password_reset

        def password_reset_requested(delivery: Delivery) -> None:
            reset.process(int(delivery.payload["request_id"]))

        worker.register("one_time_code.email", notifications.one_time_code_email)
        # The gateway drops duplicates by idempotency key: safe to send again after a crash.
        worker.register("one_time_code.whatsapp", notifications.one_time_code_whatsapp,
                        redeliver_after_crash=True)
        worker.register(BSRE_ACTIVATION_LINK, notifications.bsre_activation_link)
        worker.register(BSRE_REJECTED, notifications.bsre_activation_rejected)
        worker.register(BSRE_MAKE_ACCOUNT, self.bsre_verification.make_account,
                        redeliver_after_crash=True)
        worker.register(BSRE_ACCOUNT_EMAIL, self.bsre_verification.send_account_email)
        worker.register(BSRE_OTP_DEVICE_REMOVED, notifications.bsre_otp_device_removed)
        worker.register(BSRE_CHANGED_BY_ADMIN, notifications.bsre_credentials_changed_by_admin)
        worker.register(BSRE_OTP_REQUEST, self.bsre_otp_requests.process)
        worker.register(BSRE_CHECK_LINK, notifications.bsre_identity_check_link)
        worker.register(BSRE_DISABLED, notifications.bsre_account_disabled)
        worker.register(BSRE_RESET_MAIL, self.bsre_compromised.send_reset_mail)
        worker.register(BSRE_CHANGE_DECIDED, notifications.bsre_profile_change_decided)
        worker.register(BSRE_CHANGE_VERIFY_EMAIL, self.bsre_profile_changes.send_verify_email)
        worker.register(BSRE_CHANGE_CONFIRMATION,
                        notifications.bsre_profile_change_confirmation)
        worker.register(SET_PASSPHRASE_LINK, notifications.bsre_set_passphrase_link)
        worker.register(SET_PASSPHRASE_WHATSAPP, notifications.bsre_set_passphrase_whatsapp,
                        redeliver_after_crash=True)
        worker.register(PASSPHRASE_CHANGE_INVITED, notifications.bsre_passphrase_change_invited)
        worker.register(CERTIFICATE_ISSUED, notifications.bsre_certificate_issued)
        worker.register(CERTIFICATE_REVOKED, notifications.bsre_certificate_revoked)
        worker.register(CERTIFICATE_EXPIRING, notifications.bsre_certificate_expiring)
        # Idempotent by design (account.py): safe to run again after a crash.
        worker.register(OUTBOX_MAKE_ACCOUNT, self.akses_registration.make_account,
                        redeliver_after_crash=True)
        worker.register(OUTBOX_ACTIVATION_EMAIL, self.akses_registration.send_activation_email)
        worker.register(OUTBOX_REGISTRATION_ATTEMPT, notifications.registration_attempt)
        worker.register(OSS_MAKE_ACCOUNT, self.oss_registrations.make_account,
                        redeliver_after_crash=True)
        worker.register(OSS_ACTIVATION_EMAIL, self.oss_registrations.send_activation_email)
        worker.register(INSW_MAKE_ACCOUNT, self.insw_review.make_account,
                        redeliver_after_crash=True)
        worker.register(INSW_ACTIVATION_EMAIL, self.insw_review.send_activation_email)
        worker.register(INSW_REJECTED, notifications.registration_rejected)
        worker.register(OUTBOX_LOGIN_FAILURE_NOTICE, notifications.login_failure_notice)
        worker.register(OUTBOX_REQUESTED, password_reset_requested)
        # The gateway drops duplicates by idempotency key: safe to send again after a crash.
        worker.register(OUTBOX_SMS_LINK, notifications.password_reset_sms,
                        redeliver_after_crash=True)
        worker.register(OUTBOX_PASSWORD_CHANGED, notifications.password_changed)
        return worker

    def login_failure_notices(self) -> LoginFailureNotices:
        """A poller of Keycloak's failed logins, for the outbox process (one per process)."""
        return LoginFailureNotices(self.storage, self.keycloak, self.clock, realms())

    def otp_device_reconciler(self) -> OtpDeviceReconciler:
        """The B9 cap for devices added outside the sidecar (one per outbox process)."""
        return OtpDeviceReconciler(self.storage, self.keycloak, self.bsre_otp_devices,
                                   self.clock)

    def chores(self) -> list[Chore]:
        """What an outbox process does besides delivering (one list per process)."""
        return [Chore("housekeeping", HOUSEKEEPING_SECONDS, self.housekeeping),
                Chore("login failure notices", LOGIN_FAILURES_SECONDS,
                      self.login_failure_notices().run),
                Chore("otp device cap", OTP_DEVICES_SECONDS,
                      self.otp_device_reconciler().run),
                Chore("certificate expiry", CERTIFICATE_EXPIRY_SECONDS,
                      self.certificate_expiry.run),
                Chore("ca service keys", SERVICE_KEYS_SECONDS, self.service_keys.run),
                Chore("identity index", IDENTITY_INDEX_SECONDS, self.identity_index.run)]

    def housekeeping(self) -> dict[str, int]:
        """Delete personal data past what the portals promise (the outbox worker runs it)."""
        return {"pending_registrations": self.akses_registration.purge_expired(),
                "unactivated_accounts": self.unactivated_accounts.sweep(),
                "portal_logins": self.portal_sessions.purge_expired(),
                "spent_captcha_puzzles": self.captcha.purge_spent()}

    def close(self) -> None:
        if "readiness" in self.__dict__:
            self.readiness.close()
        self.storage.dispose()


def build_services(settings: Settings, *, clock: Clock | None = None,
                   storage: Storage | None = None, keycloak: KeycloakUsers | None = None,
                   registries: Registries | None = None,
                   mailer: Mailer | None = None, metrics: Metrics | None = None) -> Services:
    """The container for ``settings``; any part passed in is used instead of building it."""
    clock = clock or utc_now
    storage = storage or Storage.create(
        settings.database_url,
        StorageKeys.from_settings(settings.pii_key, settings.blind_index_key),
        pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow)
    authority = StoredCertificateAuthority(storage, settings.ca_key.encode("utf-8"),
                                           settings.publication_url)
    if metrics is None:
        metrics = PrometheusMetrics(storage, clock, ca_keys_open=authority.is_usable)
    keycloak = keycloak or _keycloak(settings, metrics)
    registries = registries or _registries(settings, metrics)
    mailer = mailer or _mailer(settings)
    codes = OneTimeCodeService(storage, storage.keys.one_time_code, clock, metrics=metrics)
    akses = portal("akses")
    oss = portal("oss")
    insw = portal("insw")
    bsre = portal("bsre")
    bsre_settings = BsreSettings(public_url=settings.public_url, realm=bsre.realm,
                                 client_id=bsre.client_id, portal_path=bsre.client.path)
    bsre_devices = OtpDeviceCap(storage, keycloak, clock, realm=bsre.realm)
    selfies = OpenCvSelfieInspector()
    profile_changes = ProfileChanges(storage, keycloak, codes, clock, bsre_settings,
                                     bkn=registries.bkn)
    subscriber_keys = RsaSubscriberKeys()
    issuance = CertificateIssuance(storage, keycloak, authority, subscriber_keys, selfies,
                                   registries.dukcapil, profile_changes, clock, bsre_settings,
                                   metrics=metrics)
    index = identity_index(storage, keycloak, clock, realms())
    portal_sessions = PortalSessions(
        storage, keycloak, clock,
        recheck=timedelta(seconds=settings.portal_session_recheck_seconds))
    return Services(
        settings=settings, clock=clock, storage=storage, keycloak=keycloak,
        registries=registries, mailer=mailer,
        rate_limiter=RateLimiter(storage, settings.secret_key,
                                 clock=lambda: clock().timestamp()),
        one_time_codes=codes,
        akses_registration=AksesRegistration(
            storage, keycloak, registries, clock,
            RegistrationSettings(public_url=settings.public_url, realm=akses.realm,
                                 client_id=akses.client_id, portal_path=akses.client.path),
            index),
        password_reset=PasswordReset(
            storage, keycloak, clock,
            [PasswordResetSettings(public_url=settings.public_url, realm=p.realm,
                                   client_id=p.client_id, portal_path=p.client.path,
                                   landing=p.forgot_password.landing,
                                   lookups=p.forgot_password.lookups)  # type: ignore[arg-type]
             for p in PORTALS if p.forgot_password is not None],
            settings.secret_key, index),
        legacy_members=LegacyEmailRegistration(codes, keycloak, storage, clock,
                                               realm=akses.realm),
        oss_registrations=OssRegistrations(
            storage, keycloak, registries.dukcapil, clock,
            OssRegistrationSettings(public_url=settings.public_url, realm=oss.realm,
                                    client_id=oss.client_id, portal_path=oss.client.path),
            index),
        insw_registrations=InswRegistrations(
            storage, registries.oss, PypdfInspector(), clock,
            InswRegistrationSettings(realm=insw.realm)),
        insw_review=InswReview(
            storage, keycloak, clock,
            InswReviewSettings(public_url=settings.public_url, realm=insw.realm,
                               client_id=insw.client_id, portal_path=insw.client.path),
            index),
        portal_sessions=portal_sessions,
        captcha=Captcha(
            AltchaProofOfWork(derive_key(key_material(settings.secret_key), "captcha/v1"),
                              cost=settings.captcha_cost),
            storage, clock),
        bsre_officers=Officers(keycloak, realm=bsre.realm),
        bsre_invitations=Invitations(storage, clock, bsre_settings, bkn=registries.bkn),
        bsre_activation=BsreActivation(storage, registries, codes, selfies, clock,
                                       bsre_settings),
        bsre_verification=BsreVerification(storage, keycloak, clock, bsre_settings, index),
        bsre_otp_devices=bsre_devices,
        bsre_account=BsreAccount(storage, keycloak, bsre_devices, clock, realm=bsre.realm),
        bsre_otp_requests=OtpRequests(storage, keycloak, registries.dukcapil, selfies,
                                      bsre_devices, clock, bsre_settings, index),
        identity_index=index,
        bsre_compromised=CompromisedAccounts(storage, keycloak, portal_sessions,
                                             PypdfInspector(), PillowImageInspector(), clock,
                                             bsre_settings, index),
        bsre_profile_changes=profile_changes,
        certificate_authority=authority,
        certificates=issuance,
        ocsp=OcspResponder(storage, authority, clock, RevocationMarkReader(storage.engine)),
        signing=DocumentSigning(storage, keycloak, authority, PadesSigner(), PypdfInspector(),
                                issuance, profile_changes, clock, bsre_settings,
                                metrics=metrics),
        public_verification=PublicVerification(
            storage, authority, IsolatedPdfVerifier(PadesVerifier()), clock),
        certificate_expiry=CertificateExpiry(storage, clock, bsre_settings),
        service_keys=ServiceKeys(authority, storage, clock, bsre_settings.realm),
        revocation=CertificateRevocation(storage, keycloak, clock, bsre_settings,
                                         metrics=metrics),
        passphrases=PassphraseChanges(storage, keycloak, subscriber_keys, clock, bsre_settings,
                                      metrics=metrics),
        account_data=AccountDataExport(storage, keycloak, clock),
        unactivated_accounts=UnactivatedAccounts(
            storage, keycloak, clock,
            {p.realm: p.unactivated_kept for p in PORTALS if p.unactivated_kept is not None}),
        probes=_probes(storage, keycloak, registries, authority),
        metrics=metrics,
    )


def _keycloak(settings: Settings, metrics: Metrics) -> KeycloakUsers:
    if settings.keycloak_backend == "fake":
        return FakeKeycloakUsers()
    return HttpKeycloakUsers(settings.keycloak_url, settings.keycloak_client_id,
                             settings.keycloak_client_secret,
                             timeout=settings.keycloak_timeout_seconds, metrics=metrics)


def _registries(settings: Settings, metrics: Metrics) -> Registries:
    if settings.registry_backend == "fake":
        return build_fake_registries().registries()
    return build_http_registries(asdict(settings.registries),
                                 HttpPolicy.from_timeout(settings.registry_timeout_seconds),
                                 metrics)


def _mailer(settings: Settings) -> Mailer:
    if settings.mail_backend == "memory":
        return FakeMailer()
    if settings.mail_backend == "null":
        return NullMailer()
    return SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from,
                      starttls=settings.smtp_starttls, user=settings.smtp_user,
                      password=settings.smtp_password)


def _probes(storage: Storage, keycloak: KeycloakUsers, registries: Registries,
            authority: StoredCertificateAuthority) -> dict[str, Probe]:
    probes: dict[str, Probe] = {DATABASE_PROBE: storage.ping, CA_PROBE: authority.is_usable}
    if isinstance(keycloak, HttpKeycloakUsers):
        http_users = keycloak
        probes["keycloak"] = lambda: all(http_users.realm_answers(r) for r in realms())
    adapters = registries.by_name()
    for name in registries_in_use():
        probes[name] = adapters[name].is_reachable
    return probes
