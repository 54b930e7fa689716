"""B17, B18, B15, B16, B21: a verified BSrE user asks for an eSign certificate ("Permohonan
Baru" -> eSign -> Submit); a single-use "Set Passphrase" link (24 hours) leads through three
steps -- the profile data to confirm, a selfie checked against Dukcapil, the passphrase twice
with the subscriber agreement ("Perjanjian Pemilik Sertifikat Elektronik") -- and the
certificate is issued: a key made on the server and sealed at once in a PKCS#12 under the
passphrase, which is never stored. The agreement time goes on the profile (B12's
"Perjanjian Pemilik SrE"), the issuance to the audit trail (X4), and the B18 mail names
Common Name, Organization, Country, Serial Number and Description.

Refused: a disabled account (B11) or one with a pending profile change (B13). "Unduh" gives
the certificate and its chain, never the key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gerbang_sidecar.domain.certificates.passphrase import check_passphrase
from gerbang_sidecar.domain.certificates.profiles import (
    AVAILABLE,
    Product,
    in_force,
    may_renew,
    profile_for,
    renewal_opens,
    subject_for,
)
from gerbang_sidecar.domain.consent import is_ticked
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.domain.registry_results import Match, NoMatch, Unavailable
from gerbang_sidecar.domain.tokens import new_token, plausible, token_hash
from gerbang_sidecar.ports.ca import CertificateAuthority, Revocation, SubscriberKeys
from gerbang_sidecar.ports.clock import Clock, to_ms
from gerbang_sidecar.ports.keycloak import KeycloakError, KeycloakUsers, UserRecord
from gerbang_sidecar.ports.metrics import NO_METRICS, Metrics
from gerbang_sidecar.ports.registries import Dukcapil
from gerbang_sidecar.ports.selfies import CleanSelfie, SelfieInspector
from gerbang_sidecar.ports.storage import (
    CertificateRequestRow,
    CertificateRow,
    StorageError,
    Store,
)
from gerbang_sidecar.services.bsre.invitations import BsreSettings
from gerbang_sidecar.services.bsre.officers import Officer
from gerbang_sidecar.services.bsre.profile_changes import ProfileChanges
from gerbang_sidecar.services.certificates.details import CertificateDetails, describe
from gerbang_sidecar.services.results import FormErrors, TemporaryProblem

log = logging.getLogger(__name__)

OUTBOX_SET_PASSPHRASE = "bsre.set_passphrase_link"  # noqa: S105 - a message kind
OUTBOX_SET_PASSPHRASE_WHATSAPP = "bsre.set_passphrase_whatsapp"  # noqa: S105 - a message kind
OUTBOX_ISSUED = "bsre.certificate_issued"
LINK_LIFETIME = timedelta(hours=24)
CRL_LIFETIME = timedelta(hours=6)
ENROLL_METHOD = "Set Passphrase"
# X4: the audit trail tells a first issuance from a renewal (B20) and a re-key (B22).
_ISSUED_EVENTS = {"issue": "bsre.certificate.issued", "renew": "bsre.certificate.renewed",
                  "reset": "bsre.certificate.rekeyed"}


@dataclass(frozen=True)
class Requested:
    request_id: int


@dataclass(frozen=True)
class NotAllowed:
    reason: str  # disabled, pending_change, unverified, already_issued, not_issued, ...


@dataclass(frozen=True)
class LinkDead:
    pass


@dataclass(frozen=True)
class NotYet:
    """B20: renewal opens on this day (H-30)."""

    opens_at: datetime


@dataclass(frozen=True)
class SetPassphrase:
    """What the link's page shows: the request and the profile to confirm."""

    request: CertificateRequestRow
    user: UserRecord


@dataclass(frozen=True)
class Issued:
    certificate_id: int
    serial_number: str


class CertificateIssuance:
    def __init__(self, store: Store, keycloak: KeycloakUsers, ca: CertificateAuthority,
                 keys: SubscriberKeys, selfies: SelfieInspector, dukcapil: Dukcapil,
                 changes: ProfileChanges, clock: Clock, settings: BsreSettings, *,
                 metrics: Metrics = NO_METRICS) -> None:
        self._metrics = metrics
        self._signed_crl: _SignedCrl | None = None
        self._store = store
        self._keycloak = keycloak
        self._ca = ca
        self._keys = keys
        self._selfies = selfies
        self._dukcapil = dukcapil
        self._changes = changes
        self._clock = clock
        self.settings = settings

    # --- B17/B21: Permohonan Baru ----------------------------------------------------------

    def request(self, user_id: str, product: Product = Product.ESIGN
                ) -> Requested | NotAllowed | TemporaryProblem:
        """B14: a user asks for eSign only; eSeal goes through a Verifikator, TLS is not yet
        available."""
        if product is not Product.ESIGN:
            return NotAllowed("officer_only" if product is Product.ESEAL else "not_available")
        user = self._holder(user_id)
        if isinstance(user, NotAllowed):
            return user
        return self._new_certificate(user, product, actor=user_id)

    def request_for(self, officer: Officer, user_id: str, product: Product
                    ) -> Requested | NotAllowed | TemporaryProblem | None:
        """B14, B21: a Verifikator asks on a user's behalf -- eSign for the user, or eSeal
        for the instansi with the user as the named holder who alone sets its passphrase.
        None: not a user of the officer's instansi (told apart from nobody)."""
        user = self._in_scope(officer, user_id)
        if user is None:
            return None
        if product not in AVAILABLE:
            return NotAllowed("not_available")
        refusal = self._refusal(user)
        if refusal is not None:
            return refusal
        return self._new_certificate(user, product, actor=officer.user_id)

    def _new_certificate(self, user: UserRecord, product: Product, *, actor: str
                         ) -> Requested | NotAllowed | TemporaryProblem:
        """One eSign in force per person (a newcomer asked again and held two Issued
        eSigns): a new one comes by renewal in the last 30 days, by Reset Passphrase, or
        after revoking it (B20-B22). A request whose link never came is simply asked again
        -- it replaces the waiting one (B17)."""
        if product is Product.ESIGN:
            try:
                with self._store.transaction() as tx:
                    held = tx.certificates.certificates_of(realm=self.settings.realm,
                                                           user_id=user.id)
            except StorageError:
                return TemporaryProblem()
            if self.esign_in_force(held):
                return NotAllowed("already_issued")
        return self._send_link(user, kind="issue", product=product.value,
                               certificate_id=None, actor=actor)

    def esign_in_force(self, certificates: Iterable[CertificateRow]) -> bool:
        now = self._clock()
        return any(c.product == Product.ESIGN.value and in_force(c.status, c.not_after, now)
                   for c in certificates)

    def request_renewal(self, user_id: str, certificate_id: int
                        ) -> Requested | NotAllowed | NotYet | TemporaryProblem:
        """B20: only an Issued certificate of the holder, only in its last 30 days."""
        row = self.own_certificate(user_id, certificate_id)
        if row is None:
            return NotAllowed("not_issued")
        return self.renewal(row, actor=user_id)

    def renewal_refusal(self, row: CertificateRow) -> NotAllowed | NotYet | None:
        """Why this certificate cannot be renewed now (B20, B21), before anyone is asked to
        confirm; None when it can."""
        if not in_force(row.status, row.not_after, self._clock()):
            return NotAllowed("not_issued")
        if not may_renew(row.not_after, self._clock()):
            return NotYet(renewal_opens(row.not_after))
        return None

    def own_certificate(self, user_id: str, certificate_id: int) -> CertificateRow | None:
        with self._store.transaction() as tx:
            row = tx.certificates.certificate(certificate_id)
        return row if row is not None and row.user_id == user_id else None

    def renewal(self, row: CertificateRow, *, actor: str
                ) -> Requested | NotAllowed | NotYet | TemporaryProblem:
        """B20 for a certificate the caller may act on (the holder's own, or one an officer
        got through ``certificate_for``: "the Verifikator may also renew" -- the link still
        goes to the holder)."""
        refusal = self.renewal_refusal(row)
        if refusal is not None:
            return refusal
        user = self._holder(row.user_id)
        if isinstance(user, NotAllowed):
            return user
        return self._send_link(user, kind="renew", product=row.product,
                               certificate_id=row.id, actor=actor)

    def request_reset(self, user_id: str, certificate_id: int
                      ) -> Requested | NotAllowed | TemporaryProblem:
        """B22 "Reset Passphrase": a forgotten passphrase cannot be recovered (it is not
        stored), so the reset re-keys: the link's steps give a new key and certificate under
        the new passphrase, and the old certificate is revoked as superseded. Also the way
        out of a lock after five wrong passphrases."""
        row = self.own_certificate(user_id, certificate_id)
        if row is None or not in_force(row.status, row.not_after, self._clock()):
            return NotAllowed("not_issued")
        user = self._holder(user_id)
        if isinstance(user, NotAllowed):
            return user
        return self._send_link(user, kind="reset", product=row.product,
                               certificate_id=certificate_id, actor=user_id)

    def _still_in_force(self, certificate_id: int, now: datetime) -> bool:
        with self._store.transaction() as tx:
            row = tx.certificates.certificate(certificate_id)
        return row is not None and in_force(row.status, row.not_after, now)

    def certificate_for(self, officer: Officer, certificate_id: int) -> CertificateRow | None:
        """A certificate whose holder is in the officer's instansi, else None."""
        with self._store.transaction() as tx:
            row = tx.certificates.certificate(certificate_id)
        if row is None or self._in_scope(officer, row.user_id) is None:
            return None
        return row

    def _in_scope(self, officer: Officer, user_id: str) -> UserRecord | None:
        user = self._keycloak.get_user(self.settings.realm, user_id)
        if user is None or not officer.may_see(user.attributes.get("instansi")):
            return None
        return user

    def _send_link(self, user: UserRecord, *, kind: str, product: str,
                   certificate_id: int | None, actor: str) -> Requested | TemporaryProblem:
        """The Set Passphrase link by email, and by WhatsApp too when the profile holds a
        (WhatsApp-proven, B2) mobile number: two messages, so a gateway outage delays only
        its own."""
        realm = self.settings.realm
        now = self._clock()
        token = new_token()
        url = f"{self.settings.portal_url}/set-passphrase/t/{token}"
        hours = int(LINK_LIFETIME.total_seconds() // 3600)
        phone = user.attributes.get("phoneNumber")
        try:
            with self._store.transaction() as tx:
                # A new link replaces an older one for the same product still waiting.
                for r in tx.certificates.requests_of(realm=realm, user_id=user.id):
                    if r.kind in ("issue", "renew", "reset") and r.enrollment == "Waiting" \
                            and r.product == product:
                        tx.certificates.complete(r.id, certificate_id=r.certificate_id,
                                                 enrollment="Failed",
                                                 detail="replaced")  # cert.detail.replaced
                row = tx.certificates.add_request(
                    realm=realm, user_id=user.id, kind=kind, product=product,
                    verification="Approved", enrollment="Waiting", detail="",
                    token_hash=token_hash(token), link_expires_at=now + LINK_LIFETIME,
                    certificate_id=certificate_id, created_at=now)
                payload = {"realm": realm, "user_id": user.id, "url": url, "hours": hours,
                           "product": product,
                           "expires_at": (now + LINK_LIFETIME).isoformat()}
                tx.outbox.enqueue(kind=OUTBOX_SET_PASSPHRASE, now=now,
                                  idempotency_key=f"bsre_set_passphrase:{row.id}",
                                  payload=payload)
                if phone:
                    tx.outbox.enqueue(kind=OUTBOX_SET_PASSPHRASE_WHATSAPP, now=now,
                                      idempotency_key=f"bsre_set_passphrase_wa:{row.id}",
                                      payload={**payload, "to": phone})
                tx.audit.record(realm=realm, occurred_at=now, actor=actor,
                                subject_id=user.id,
                                event_type=f"bsre.certificate.{kind}_requested",
                                details={"request_id": row.id, "product": product})
        except StorageError:
            return TemporaryProblem()
        return Requested(row.id)

    def _holder(self, user_id: str) -> UserRecord | NotAllowed:
        """The holder, when a certificate may be made for them now."""
        user = self._keycloak.get_user(self.settings.realm, user_id)
        if user is None:
            return NotAllowed("disabled")
        return self._refusal(user) or user

    def _refusal(self, user: UserRecord | None) -> NotAllowed | None:
        if user is None or not user.enabled:
            return NotAllowed("disabled")
        if user.attributes.get("verificationStatus") != "terverifikasi":
            return NotAllowed("unverified")
        if self._changes.signing_blocked(user.id):
            return NotAllowed("pending_change")
        return None

    # --- B17: the link's three steps --------------------------------------------------------

    def open(self, token: str | None) -> SetPassphrase | None:
        if not token or not plausible(token):
            return None
        with self._store.transaction() as tx:
            row = tx.certificates.request_by_token(token_hash(token), now=self._clock())
        if row is None:
            return None
        user = self._keycloak.get_user(self.settings.realm, row.user_id)
        return None if user is None else SetPassphrase(row, user)

    def selfie(self, token: str, content: bytes
               ) -> SetPassphrase | FormErrors | LinkDead | TemporaryProblem:
        opened = self.open(token)
        if opened is None:
            return LinkDead()
        verdict = self._selfies.inspect(content)
        if not isinstance(verdict, CleanSelfie):
            return FormErrors({"photo": IdentifierError(f"photo.{verdict.reason}")})
        answer = self._dukcapil.compare_face(opened.user.attributes.get("nik", ""),
                                             verdict.jpeg)
        if isinstance(answer, Unavailable):
            return TemporaryProblem()
        if not isinstance(answer, Match):
            reason = "face_mismatch" if isinstance(answer, NoMatch) else "no_reference"
            return FormErrors({"photo": IdentifierError(f"photo.{reason}")})
        with self._store.transaction() as tx:
            tx.certificates.selfie_checked(opened.request.id, now=self._clock())
        return self.open(token) or LinkDead()

    def issue(self, token: str, passphrase: str | None, confirmation: str | None,
              agreement: str | None) -> Issued | FormErrors | NotAllowed | LinkDead:
        opened = self.open(token)
        if opened is None:
            return LinkDead()
        errors: dict[str, IdentifierError] = {}
        if opened.request.selfie_checked_at is None:
            errors["photo"] = IdentifierError("photo.required")
        try:
            check_passphrase(passphrase, confirmation)
        except IdentifierError as error:
            errors[error.field] = error
        if not is_ticked(agreement):
            errors["agreement"] = IdentifierError("agreement.required", key="consent.required")
        if errors:
            return FormErrors(errors)
        refusal = self._refusal(opened.user)
        if refusal is not None:
            return refusal
        assert passphrase is not None
        user, request = opened.user, opened.request
        now = self._clock()
        if request.certificate_id is not None and not self._still_in_force(
                request.certificate_id, now):
            return NotAllowed("not_issued")  # expired since the renewal or reset link came
        product = Product(request.product)
        subject = subject_for(product, name=user.first_name,
                              instansi=user.attributes.get("instansi", ""),
                              nik=user.attributes.get("nik", ""), holder_id=user.id)
        profile = profile_for(product)
        sealed = self._keys.create(
            passphrase, lambda public: self._ca.issue(public, subject, profile, now=now),
            self._ca.chain())
        serial = f"{sealed.certificate.serial_number:X}"
        realm = self.settings.realm
        try:
            with self._store.transaction() as tx:
                row = tx.certificates.add_certificate(
                    realm=realm, user_id=user.id, serial_number=serial,
                    product=request.product, status="issued",
                    enroll_method=ENROLL_METHOD,
                    note="", not_before=sealed.certificate.not_before,
                    not_after=sealed.certificate.not_after,
                    certificate=sealed.certificate.certificate, pkcs12=sealed.pkcs12,
                    created_at=now)
                if not tx.certificates.complete(request.id, certificate_id=row.id,
                                                enrollment="Success"):
                    raise _Spent()
                if request.kind == "renew" and request.certificate_id is not None and \
                        not tx.certificates.set_status(request.certificate_id, status="renewed",
                                                       expected="issued",
                                                       note=f"renewed by {serial}"):
                    raise _Spent()  # revoked or renewed meanwhile: nothing is issued
                if request.kind == "reset" and request.certificate_id is not None and \
                        not tx.certificates.set_status(request.certificate_id, status="revoked",
                                                       expected="issued", revoked_at=now,
                                                       reason="superseded",
                                                       note=f"re-keyed as {serial}"):
                    raise _Spent()
                tx.audit.record(realm=realm, occurred_at=now, actor=user.id,
                                subject_id=user.id, event_type=_ISSUED_EVENTS[request.kind],
                                details={"serial_number": serial, "product": request.product,
                                         "replaces": request.certificate_id,
                                         "agreement": "perjanjian_pemilik_sertifikat"})
                tx.outbox.enqueue(
                    kind=OUTBOX_ISSUED, now=now,
                    idempotency_key=f"bsre_certificate_issued:{serial}",
                    payload={"realm": realm, "user_id": user.id,
                             "common_name": subject.common_name,
                             "organization": subject.organization, "serial_number": serial,
                             "description": profile.description})
        except _Spent:
            return LinkDead()
        record_agreement(self._keycloak, realm, user.id, now)
        log.info("bsre certificate issued")
        self._metrics.certificate_operation("renewed" if request.kind == "renew" else "issued")
        return Issued(row.id, serial)

    # --- B15, B16, Unduh, CRL --------------------------------------------------------------

    def requests(self, user_id: str) -> list[CertificateRequestRow]:
        with self._store.transaction() as tx:
            return tx.certificates.requests_of(realm=self.settings.realm, user_id=user_id)

    def certificates(self, user_id: str) -> list[CertificateRow]:
        with self._store.transaction() as tx:
            return tx.certificates.certificates_of(realm=self.settings.realm, user_id=user_id)

    def download(self, user_id: str,
                 certificate_id: int) -> tuple[CertificateRow, list[bytes]] | None:
        """The certificate and its chain (DER), never the key: only the holder's own."""
        row = self.own_certificate(user_id, certificate_id)
        return None if row is None else (row, [bytes(row.certificate), *self._ca.chain()])

    def info(self, user_id: str, certificate_id: int
             ) -> tuple[CertificateRow, CertificateDetails] | None:
        """B16 "Info" for the holder's own certificate."""
        row = self.own_certificate(user_id, certificate_id)
        return None if row is None else (row, describe(bytes(row.certificate)))

    def info_for(self, officer: Officer, certificate_id: int
                 ) -> tuple[CertificateRow, CertificateDetails] | None:
        row = self.certificate_for(officer, certificate_id)
        return None if row is None else (row, describe(bytes(row.certificate)))

    def crl(self) -> bytes:
        """X6: the issuing CA's CRL. Signed again when a certificate was revoked -- by any
        process: the mark is read from the database on every call -- or half its lifetime
        has passed; otherwise this process's last one, so neither /pki/issuing-ca.crl nor
        each signature's DSS rebuilds a CRL of every revocation."""
        now = self._clock()
        with self._store.transaction() as tx:
            mark = tx.certificates.revocation_mark()
        cached = self._signed_crl
        if cached is not None and cached.mark == mark and cached.built_at <= now < \
                cached.built_at + CRL_LIFETIME / 2:
            return cached.der
        return self.rebuild_crl(mark)

    def rebuild_crl(self, mark: int | None = None) -> bytes:
        """A newly signed CRL of every revocation, whatever this process holds."""
        now = self._clock()
        with self._store.transaction() as tx:
            mark = tx.certificates.revocation_mark() if mark is None else mark
            revoked = [Revocation(int(r.serial_number, 16), r.revoked_at or now,
                                  r.revocation_reason or "unspecified")
                       for r in tx.certificates.revocations()]
        der = self._ca.crl(revoked, number=crl_number(now), now=now,
                           next_update=now + CRL_LIFETIME)
        self._signed_crl = _SignedCrl(mark, now, der)
        return der

    def chain(self) -> list[bytes]:
        return self._ca.chain()


def crl_number(now: datetime) -> int:
    """RFC 5280 5.2.3: every newer CRL a larger number -- after a revocation and after a
    refresh alike, from any sidecar (their clocks agree through NTP): milliseconds since
    1970."""
    return to_ms(now)


@dataclass(frozen=True)
class _SignedCrl:
    mark: int
    built_at: datetime
    der: bytes


def record_agreement(keycloak: KeycloakUsers, realm: str, user_id: str, now: datetime) -> None:
    """B12 "Perjanjian Pemilik SrE": the last passphrase set, on the profile. The certificate
    or passphrase is already in place: Keycloak down loses only this date, not the request."""
    try:
        keycloak.update_user(realm, user_id, attributes={"subscriberAgreementAt": now.isoformat()})
    except KeycloakError as exc:
        log.warning("subscriber agreement time not recorded (%s)", type(exc).__name__)


class _Spent(StorageError):
    """The link was used by a concurrent submit: this transaction keeps nothing."""
