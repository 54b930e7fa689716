"""X6: the OCSP responder's answers (RFC 6960), with what this process already knows reused
until a certificate is revoked anywhere.

Every request reads the revocation mark (how many revocations were ever recorded; one row,
read outside a transaction, adapters/storage/revocation_mark.py) -- the same mark the CRL is
cached against. While it stays the same, two things this process learnt hold (a
``_Generation``):

- **statuses**: serial -> status, each read once from the database (three columns, nothing
  decrypted). Issued, Renew and Expired all answer good and leave that only by revocation,
  which changes the mark; revocation is final. A serial the database does not know is never
  remembered: it is asked again next time, so a certificate issued a moment ago -- by any
  process -- is answered good, never "unknown" from a stale memory.
- **pre-signed responses** for requests without a nonce (the RFC 5019 lightweight profile:
  browsers, Windows, Adobe Reader, CDNs), keyed by the request's CertID (hash algorithm,
  issuer name hash, issuer key hash, serial) and served as the same bytes until half of the
  response's validity has passed. "unknown" answers are not kept, for the reason above.

When the mark changes -- a revocation recorded by any sidecar process -- the generation is
dropped, so the next request sees it. A request with a nonce (RFC 6960 4.4.1, RFC 8954) is
signed afresh with the nonce echoed: that is what the nonce asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp

from gerbang_sidecar.ports.ca import CertificateAuthority
from gerbang_sidecar.ports.clock import Clock
from gerbang_sidecar.ports.storage import StorageError, Store

# The mark as adapters/storage/revocation_mark.py reads it: compared, never looked into.
ReadMark = Callable[[], Hashable]
# hash algorithm, issuer name hash, issuer key hash, serial number
CertId = tuple[str, bytes, bytes, int]
Status = tuple[str, datetime | None, str | None]
# Only answers for the issuing CA's own CertIDs are kept, one per certificate and hash
# algorithm; past this many the process starts over rather than grow without bound.
MAX_PRESIGNED = 50_000
# RFC 6960 2.3: the database could not be read; the client asks again later.
TRY_LATER = ocsp.OCSPResponseBuilder.build_unsuccessful(
    ocsp.OCSPResponseStatus.TRY_LATER).public_bytes(serialization.Encoding.DER)
# RFC 6960 2.3: something failed that is not the request's fault (it is logged).
INTERNAL_ERROR = ocsp.OCSPResponseBuilder.build_unsuccessful(
    ocsp.OCSPResponseStatus.INTERNAL_ERROR).public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class _Presigned:
    der: bytes
    fresh_until: datetime


@dataclass
class _Generation:
    """What this process learnt while the revocation mark was ``mark``."""

    mark: Hashable
    statuses: dict[int, Status] = field(default_factory=dict)
    presigned: dict[CertId, _Presigned] = field(default_factory=dict)


class OcspResponder:
    def __init__(self, store: Store, ca: CertificateAuthority, clock: Clock,
                 read_mark: ReadMark) -> None:
        self._store = store
        self._ca = ca
        self._clock = clock
        self._read_mark = read_mark
        # Replaced whole whenever a request reads another mark. A thread still holding an
        # older generation adds to it only what it read from the database after reading its
        # mark, and a generation is used only by requests that read its very mark: revoked
        # stays revoked, so the count in the mark never returns to an earlier value.
        self._generation: _Generation | None = None

    def respond(self, request: bytes) -> bytes:
        """An OCSP response (DER) to a request (DER): good (Issued, Renew, Expired -- never
        revoked), revoked with its time and reason, or unknown; malformedRequest,
        unauthorized (another CA's certificate) or tryLater (the database is down)."""
        try:
            generation = self._current()
        except StorageError:
            return TRY_LATER
        now = self._clock()
        key = presignable(request)
        if key is not None:
            kept = generation.presigned.get(key)
            if kept is not None and now < kept.fresh_until:
                return kept.der
        try:
            der = self._ca.ocsp(request, lambda serial: self._status(generation, serial),
                                now=now)
        except StorageError:
            return TRY_LATER
        if key is not None:
            _keep(generation, key, der)
        return der

    def _current(self) -> _Generation:
        mark = self._read_mark()
        generation = self._generation
        if generation is None or generation.mark != mark:
            generation = self._generation = _Generation(mark)
        return generation

    def _status(self, generation: _Generation, serial: int) -> Status | None:
        known = generation.statuses.get(serial)
        if known is not None:
            return known
        with self._store.transaction() as tx:
            row = tx.certificates.status_by_serial(f"{serial:X}")
        if row is None:
            return None  # perhaps issued a moment from now: asked again next time
        known = generation.statuses[serial] = (row.status, row.revoked_at,
                                               row.revocation_reason)
        return known


def presignable(request: bytes) -> CertId | None:
    """The request's CertID when it carries no nonce and no critical extension, else None
    (malformed requests too: the CA answers those)."""
    try:
        parsed = ocsp.load_der_ocsp_request(request)
        # A nonce asks for a fresh signature; a critical extension is the CA's to refuse.
        if any(isinstance(e.value, x509.OCSPNonce) or e.critical for e in parsed.extensions):
            return None
        return (parsed.hash_algorithm.name, parsed.issuer_name_hash, parsed.issuer_key_hash,
                parsed.serial_number)
    except (ValueError, NotImplementedError, x509.DuplicateExtension, UnsupportedAlgorithm):
        return None


def _keep(generation: _Generation, key: CertId, der: bytes) -> None:
    """Keep a successful good or revoked answer until half its validity has passed."""
    response = ocsp.load_der_ocsp_response(der)
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL or \
            response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN:
        return
    this_update, next_update = response.this_update_utc, response.next_update_utc
    if next_update is None:
        return
    if len(generation.presigned) >= MAX_PRESIGNED:
        generation.presigned.clear()
    generation.presigned[key] = _Presigned(der, this_update + (next_update - this_update) / 2)
