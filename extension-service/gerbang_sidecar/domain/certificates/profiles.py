"""B14, B18, B20: the products a user may request, what their certificates say, how long
they live and when they may be renewed. Pure: dates are passed in.

eSign certifies a person (digitalSignature + contentCommitment: a signature the signer
cannot later deny); eSeal an organisation's seal, requested only through a Verifikator; TLS
is listed as not yet available. The subject carries what the verified profile says: CN the
name, O the instansi, C = ID, and serialNumber the ETSI EN 319 412-1 semantics identifier of
the holder -- ``PNOID-<NIK>`` for a person (a national personal number of Indonesia);
``SEAL-`` and the named holder's account id for a seal (no registry number of the instansi is
in the profile, and a seal must not carry the holder's NIK).

CN and O hold at most 64 characters (RFC 5280's ub-common-name and ub-organization-name;
``cryptography`` counts them in UTF-8 bytes): a longer name or instansi is shortened after
its last whole word that fits -- ETSI EN 319 412-2 lets CN be the name the subject commonly
uses -- rather than refusing the certificate (a hostile review: a 65-character ministry could
never get an eSeal, and issuing a long name failed after the selfie).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from gerbang_sidecar.domain.masking import mask


class Product(StrEnum):
    ESIGN = "esign"
    ESEAL = "eseal"
    TLS = "tls"


AVAILABLE = (Product.ESIGN, Product.ESEAL)  # B14: TLS "belum tersedia"
VALIDITY = timedelta(days=730)  # two years, like BSrE's eSign
RENEWAL_WINDOW = timedelta(days=30)  # B20: H-30
# ETSI EN 319 412-1 5.1.3: a natural person's identifier; the NIK after it is what X3 masks.
# Other CAs' certificates (shown untrusted, but shown) may carry a NIK bare or after another
# prefix: any run of 16 digits is masked too.
_NIK_IN_NAME = re.compile(r"(?<=PNOID-)\d+|(?<!\d)\d{16}(?!\d)")
# What an eSign or eSeal key is for: documentSigning (RFC 9336), and emailProtection, which NSS
# (poppler's pdfsig, Thunderbird) requires of a signer's certificate whenever the extension is
# present, and which Adobe Reader accepts (docs/certificates.md).
DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36"
EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4"
NAME_UPPER_BOUND = 64  # RFC 5280 ub-common-name, ub-organization-name (as UTF-8 bytes)


@dataclass(frozen=True)
class Subject:
    common_name: str
    organization: str
    serial_number: str
    country: str = "ID"


@dataclass(frozen=True)
class Profile:
    product: Product
    digital_signature: bool = True
    content_commitment: bool = True
    # Extended Key Usage (RFC 5280 4.2.1.12), dotted OIDs, not critical.
    purposes: tuple[str, ...] = (DOCUMENT_SIGNING, EMAIL_PROTECTION)

    @property
    def description(self) -> str:
        """B18's "Description" of the issuance mail."""
        return {"esign": "eSign", "eseal": "eSeal", "tls": "TLS"}[self.product.value]


def profile_for(product: Product) -> Profile:
    if product not in AVAILABLE:
        raise ValueError(f"{product.value} is not available")
    return Profile(product)


def person_subject(name: str, instansi: str, nik: str) -> Subject:
    return Subject(common_name=fitted(name.upper()), organization=fitted(instansi),
                   serial_number=f"PNOID-{nik}")


def with_nik_masked(name: str) -> str:
    """A certificate's subject or issuer as the public verification report shows it: the
    NIK in ``PNOID-<NIK>``, and any other 16-digit run, masked (X3) -- the document's
    recipient can read it in the PDF, but a page anyone may use does not repeat it."""
    return _NIK_IN_NAME.sub(lambda found: mask(found.group(0)), name)


def seal_subject(instansi: str, holder_id: str) -> Subject:
    """B14 eSeal: the organisation is the subject; the named holder who keeps the key is
    told apart by the serialNumber, so a second holder's seal is a distinct subject."""
    return Subject(common_name=fitted(instansi.upper()), organization=fitted(instansi),
                   serial_number=f"SEAL-{holder_id}")


def fitted(value: str) -> str:
    """``value`` as a subject attribute: control characters as spaces, runs of spaces as one,
    and at most NAME_UPPER_BOUND bytes -- cut after the last whole word that fits (inside a
    word only when the first is already too long), without a joining word or punctuation
    left hanging at the end."""
    text = " ".join("".join(" " if unicodedata.category(c).startswith("C") else c
                            for c in unicodedata.normalize("NFC", value)).split())
    if len(text.encode()) <= NAME_UPPER_BOUND:
        return text
    # One byte past the bound: the last piece is a word cut short (or "" after a whole one).
    words = text.encode()[:NAME_UPPER_BOUND + 1].decode(errors="ignore").split(" ")[:-1]
    # A cut name must not end in "dan", "Bidang ...," or a lone comma: it reads as a name.
    while words and words[-1].lower().strip(_TRAILING) in _HANGING:
        words.pop()
    kept = " ".join(words).rstrip(_TRAILING)
    return kept or text.encode()[:NAME_UPPER_BOUND].decode(errors="ignore")


_TRAILING = " ,;:-/&."
# Words that join or introduce: left at the end of a cut name they promise more that is gone.
_HANGING = frozenset({"", "dan", "di", "ke", "dari", "untuk", "serta", "atau", "yang", "pada",
                      "and", "of", "the", "for"})


def subject_for(product: Product, *, name: str, instansi: str, nik: str,
                holder_id: str) -> Subject:
    if product is Product.ESEAL:
        return seal_subject(instansi, holder_id)
    return person_subject(name, instansi, nik)


def in_force(status: str, not_after: datetime, now: datetime) -> bool:
    """Issued in B15's sense: issued and not past its expiry. The expiry job marks a
    certificate Expired within the hour; until then its row still says issued (B21: an
    expired certificate is neither renewed, re-keyed nor given a new passphrase)."""
    return status == "issued" and now < not_after


def renewal_opens(not_after: datetime) -> datetime:
    return not_after - RENEWAL_WINDOW


def may_renew(not_after: datetime, now: datetime) -> bool:
    """B20: only within the last 30 days before expiry, and not after it (B21)."""
    return renewal_opens(not_after) <= now < not_after


def expiry_day(not_after: datetime) -> date:
    return not_after.date()
