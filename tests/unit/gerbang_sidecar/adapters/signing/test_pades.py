"""X7: a signature made by PadesSigner is PAdES B-LT -- a signature timestamp from the CA's
TSA, and the revocation data of both the signer's and the TSA's certificate in the DSS -- as
independent validators see it: pyHanko's validator (the timestamp valid; the signature and the
timestamp validate from the DSS alone, a CRL required for each end-entity certificate, and not
without it), ``openssl ts -verify`` on the embedded token, poppler's ``pdfsig``. The verifier
checks the signer's chain at the timestamp's time, so a certificate expired since still
validates; a signature without a timestamp has only the signer's claim."""

from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

from gerbang_sidecar.adapters.ca.hierarchy import (
    CaMaterial,
    LocalCertificateAuthority,
    create_hierarchy,
    with_timestamping,
)
from gerbang_sidecar.adapters.ca.keys import RsaSubscriberKeys
from gerbang_sidecar.adapters.signing import pades
from gerbang_sidecar.adapters.signing.pades import PadesSigner, PadesVerifier
from gerbang_sidecar.domain.certificates.profiles import Product, person_subject, profile_for
from gerbang_sidecar.ports.signing import (
    SigningMaterial,
    TooComplex,
    TooManyRevisions,
    TooManySignatures,
    UnreadablePdf,
)
from support.pdfs import empty_revisions, orphan_objects

KEK = b"a key-encryption key from the environment"
URL = "https://gerbang.example.test"
NOW = datetime.now(UTC).replace(microsecond=0)
PASSPHRASE = "Rahasia#2025x"
# Long-term validation as a strict validator asks it: a CRL for every end-entity certificate
# (the signer's and the TSA's). The issuing CA names no revocation source (no CRL of the
# root yet: docs/certificates.md), so for it there is nothing to check.
CRL_FOR_END_ENTITIES = CertRevTrustPolicy(RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.CRL_REQUIRED,
    intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED))


@pytest.fixture(scope="module")
def material() -> CaMaterial:
    return with_timestamping(create_hierarchy(KEK, now=NOW - timedelta(days=1)), KEK, URL,
                             now=NOW - timedelta(days=1))


@pytest.fixture(scope="module")
def ca(material: CaMaterial) -> LocalCertificateAuthority:
    return LocalCertificateAuthority(material, KEK, URL)


@pytest.fixture(scope="module")
def sealed(ca: LocalCertificateAuthority) -> bytes:
    return RsaSubscriberKeys().create(PASSPHRASE, lambda public: ca.issue(public, person_subject(
        "Agus Wijaya", "Badan Siber dan Sandi Negara", "3174041503800005"),
        profile_for(Product.ESIGN), now=NOW - timedelta(hours=1)), ca.chain()).pkcs12


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def signed(ca: LocalCertificateAuthority, sealed: bytes) -> bytes:
    crl = ca.crl([], number=1, now=NOW, next_update=NOW + timedelta(hours=6))
    material = SigningMaterial(ca.chain(), crl, lambda request: ca.timestamp(request, now=NOW))
    return PadesSigner().sign(_pdf(), sealed, PASSPHRASE, material, signer_name="AGUS WIJAYA",
                              now=NOW)


def _root(ca: LocalCertificateAuthority) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(ca.chain()[-1])


def test_x7_the_signature_carries_a_valid_timestamp_of_the_ca_tsa(
        ca: LocalCertificateAuthority, signed: bytes) -> None:
    signature = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = validate_pdf_signature(signature, ValidationContext(
        trust_roots=[_root(ca)], allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.summary()
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted
    assert stamp.timestamp == NOW
    assert stamp.signing_cert.subject.human_friendly.startswith(
        "Common Name: Gerbang Time-Stamping Authority")


def test_x7_b_lt_the_dss_alone_validates_signer_and_tsa_with_their_crl(
        ca: LocalCertificateAuthority, material: CaMaterial, signed: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(signed))
    signature = reader.embedded_signatures[0]
    dss = DocumentSecurityStore.read_dss(reader)
    in_dss = {c.dump() for c in dss.load_certs()}
    assert material.tsa_certificate is not None
    tsa = x509.load_pem_x509_certificate(material.tsa_certificate)
    assert tsa.public_bytes(serialization.Encoding.DER) in in_dss
    assert signature.signer_cert.dump() in in_dss
    crls = [asn1_crl.CertificateList.load(ref.get_object().data) for ref in dss.crls]
    issuing = asn1_x509.Certificate.load(ca.chain()[0])
    assert [c.issuer for c in crls] == [issuing.subject]  # the CRL covering both
    # At the proven signing time, from the DSS alone, a CRL required for signer and TSA.
    offline = dss.as_validation_context({
        "trust_roots": [_root(ca)], "allow_fetching": False, "moment": NOW,
        "revinfo_policy": CRL_FOR_END_ENTITIES})
    status = validate_pdf_signature(signature, offline)
    assert status.trusted and status.timestamp_validity is not None \
        and status.timestamp_validity.trusted, status.summary()
    # The same policy without the DSS's CRL: neither is trusted -- the DSS is what made it.
    bare = ValidationContext(trust_roots=[_root(ca)], other_certs=list(dss.load_certs()),
                             crls=[], allow_fetching=False, moment=NOW,
                             revinfo_policy=CRL_FOR_END_ENTITIES)
    without = validate_pdf_signature(signature, bare)
    assert not without.trusted and not without.timestamp_validity.trusted  # type: ignore[union-attr]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")
def test_x7_openssl_ts_verifies_the_embedded_signature_timestamp(
        ca: LocalCertificateAuthority, material: CaMaterial, signed: bytes,
        tmp_path: Path) -> None:
    signer_info = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0].signer_info
    token = next(a["values"][0] for a in signer_info["unsigned_attrs"]
                 if a["type"].native == "signature_time_stamp_token")
    # RFC 3161 appendix A: the token stamps the signature value itself.
    (tmp_path / "signature.bin").write_bytes(signer_info["signature"].native)
    (tmp_path / "token.der").write_bytes(token.dump())
    (tmp_path / "root.pem").write_bytes(material.root_certificate)
    (tmp_path / "issuing.pem").write_bytes(material.issuing_certificate)
    done = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(tmp_path / "signature.bin"), "-in",
         str(tmp_path / "token.der"), "-token_in", "-CAfile", str(tmp_path / "root.pem"),
         "-untrusted", str(tmp_path / "issuing.pem")],
        capture_output=True, text=True, check=False)
    assert "Verification: OK" in done.stdout, done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("pdfsig") is None, reason="needs poppler's pdfsig")
def test_x7_pdfsig_accepts_the_timestamped_signature(signed: bytes, tmp_path: Path) -> None:
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in done.stdout, done.stdout + done.stderr
    assert "ETSI.CAdES.detached" in done.stdout


@pytest.mark.skipif(shutil.which("pdfsig") is None or shutil.which("certutil") is None,
                    reason="needs poppler's pdfsig and NSS's certutil")
def test_x7_nss_trusts_the_signer_under_our_root_for_document_signing(
        signed: bytes, material: CaMaterial, tmp_path: Path) -> None:
    """With the root trusted for signed mail only (trust flags ",C,": NSS's trust for
    document signatures, as Thunderbird and poppler use it), pdfsig says the signer's
    certificate is trusted: its Extended Key Usage names emailProtection beside
    documentSigning (RFC 9336), which NSS
    requires of a signer whenever the extension is present (documentSigning alone: "Unknown
    issue with Certificate")."""
    database = tmp_path / "nss"
    database.mkdir()
    root = tmp_path / "root.pem"
    root.write_bytes(material.root_certificate)
    subprocess.run(["certutil", "-N", "-d", f"sql:{database}", "--empty-password"], check=True,
                   capture_output=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{database}", "-n", "Gerbang Root",
                    "-t", ",C,", "-i", str(root)], check=True, capture_output=True)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    # -no-ocsp: no responder answers at this test's AIA address (the PDF holds a CRL).
    done = subprocess.run(["pdfsig", "-no-ocsp", "-nssdir", f"sql:{database}", str(path)],
                          capture_output=True, text=True, check=False)
    assert "Signature is Valid." in done.stdout, done.stdout + done.stderr
    assert "Certificate is Trusted." in done.stdout, done.stdout + done.stderr


@pytest.fixture(scope="module")
def signed_twice(ca: LocalCertificateAuthority, sealed: bytes, signed: bytes) -> bytes:
    crl = ca.crl([], number=1, now=NOW, next_update=NOW + timedelta(hours=6))
    material = SigningMaterial(ca.chain(), crl, lambda request: ca.timestamp(request, now=NOW))
    return PadesSigner().sign(signed, sealed, PASSPHRASE, material, signer_name="BUDI",
                              now=NOW)


def test_x7_a_second_official_signs_a_signed_document_and_both_signatures_hold(
        ca: LocalCertificateAuthority, signed_twice: bytes, tmp_path: Path) -> None:
    """Several officials sign one letter: the second signature was refused (its field name
    was taken), and the verification called the first one's document changed."""
    reader = PdfFileReader(io.BytesIO(signed_twice))
    first, second = reader.embedded_signatures
    assert (first.field_name, second.field_name) == ("TandaTanganBSrE", "TandaTanganBSrE-2")
    boxes = [list(s.sig_field["/Kids"][0]["/Rect"]) if "/Kids" in s.sig_field
             else list(s.sig_field["/Rect"]) for s in (first, second)]
    assert boxes[0] != boxes[1]  # one above the other, not on top of each other
    earlier, later = PadesVerifier().verify(signed_twice, ca.chain(), now=NOW)
    for evidence in (earlier, later):
        assert evidence.intact and evidence.trusted and not evidence.modified_after
    assert earlier.signed_over and not later.signed_over
    if shutil.which("pdfsig"):
        path = tmp_path / "twice.pdf"
        path.write_bytes(signed_twice)
        done = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                              check=False)
        assert done.stdout.count("Signature is Valid.") == 2, done.stdout


def test_x7_item9_an_unsigned_field_painted_over_the_page_is_a_change(
        ca: LocalCertificateAuthority, signed: bytes) -> None:
    """A review's attack: a new, empty signature field as large as the page whose
    appearance paints it white and writes an amount. pyHanko classes it as form filling;
    only a field holding a later intact, trusted signature is a permitted addition."""
    from pyhanko.pdf_utils import generic

    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    fields.append_signature_field(writer, fields.SigFieldSpec(
        sig_field_name="Tutup", box=(0, 0, 595, 842), on_page=0))
    [field] = [ref.get_object() for ref in writer.root["/AcroForm"]["/Fields"]
               if ref.get_object().get("/T") == "Tutup"]
    paint = generic.StreamObject({
        generic.NameObject("/Type"): generic.NameObject("/XObject"),
        generic.NameObject("/Subtype"): generic.NameObject("/Form"),
        generic.NameObject("/BBox"): generic.ArrayObject(
            [generic.NumberObject(x) for x in (0, 0, 595, 842)])},
        stream_data=b"1 1 1 rg 0 0 595 842 re f")
    field[generic.NameObject("/AP")] = generic.DictionaryObject(
        {generic.NameObject("/N"): writer.add_object(paint)})
    writer.update_container(field)
    out = io.BytesIO()
    writer.write(out)
    [evidence] = PadesVerifier().verify(out.getvalue(), ca.chain(), now=NOW)
    assert evidence.intact and evidence.modified_after and not evidence.signed_over


def test_x7_item9_text_put_on_a_signed_page_is_a_change_not_a_permitted_addition(
        ca: LocalCertificateAuthority, signed: bytes) -> None:
    """A later signature is permitted; a note stamped over the page ("LUNAS") is not."""
    from pyhanko.pdf_utils import generic

    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    note = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/FreeText"),
        generic.NameObject("/Rect"): generic.ArrayObject(
            [generic.NumberObject(x) for x in (100, 400, 400, 450)]),
        generic.NameObject("/Contents"): generic.pdf_string("LUNAS"),
        generic.NameObject("/DA"): generic.pdf_string("/Helv 24 Tf 0 g")}))
    page[generic.NameObject("/Annots")] = generic.ArrayObject(
        [*page.get("/Annots", generic.ArrayObject()), note])
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    [evidence] = PadesVerifier().verify(out.getvalue(), ca.chain(), now=NOW)
    assert evidence.intact and evidence.modified_after and not evidence.signed_over


def _signed_without_timestamp(sealed: bytes, field: str,
                              carried: list[asn1_x509.Certificate] | None = None) -> bytes:
    """A blank page signed by pyHanko alone in ``field``: no timestamp, no validation data,
    the CMS carrying ``carried`` besides the signer's certificate."""
    signer = signers.SimpleSigner.load_pkcs12_data(sealed, other_certs=carried or [],
                                                   passphrase=PASSPHRASE.encode())
    assert signer is not None
    writer = IncrementalPdfFileWriter(io.BytesIO(_pdf()), strict=False)
    fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=field))
    return signers.PdfSigner(signers.PdfSignatureMetadata(  # type: ignore[no-any-return]
        field_name=field, subfilter=fields.SigSeedSubFilter.PADES), signer=signer,
    ).sign_pdf(writer).getvalue()


def _throwaway_cas(count: int) -> list[bytes]:
    """Self-signed CA certificates (DER), each its own."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    made = []
    for n in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Kisi {n}")])
        made.append(x509.CertificateBuilder().subject_name(name).issuer_name(name)
                    .public_key(key.public_key()).serial_number(n + 1)
                    .not_valid_before(NOW - timedelta(days=1))
                    .not_valid_after(NOW + timedelta(days=1))
                    .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                    .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    return made


def test_item9_a_signature_carrying_a_lattice_of_certificates_is_too_complex_at_once(
        ca: LocalCertificateAuthority, sealed: bytes) -> None:
    """A CMS with a lattice of CA certificates made pyHanko's path builder try every chain
    (hostile measurement: 37 certificates, 18 s; a few more, hours). More than
    MAX_CARRIED_CERTIFICATES are refused before any path is built."""
    carried = [asn1_x509.Certificate.load(der) for der in _throwaway_cas(12)]
    lattice = _signed_without_timestamp(sealed, "Kisi", carried)
    with pytest.raises(TooComplex):
        PadesVerifier().verify(lattice, ca.chain(), now=NOW)


def test_x7_item9_the_chain_is_checked_at_the_timestamp_time_even_after_expiry(
        ca: LocalCertificateAuthority, signed: bytes) -> None:
    three_years_later = NOW + timedelta(days=3 * 365)  # the eSign certificate lives two
    [evidence] = PadesVerifier().verify(signed, ca.chain(), now=three_years_later)
    assert evidence.timestamp_valid is True and evidence.timestamped_at == NOW
    assert evidence.timestamp_authority is not None
    assert evidence.intact and evidence.trusted and not evidence.modified_after
    assert evidence.certificate_not_after < three_years_later


def test_x7_item9_without_a_timestamp_only_the_claim_remains(
        ca: LocalCertificateAuthority, sealed: bytes) -> None:
    old_style = _signed_without_timestamp(sealed, "Lama")
    [now] = PadesVerifier().verify(old_style, ca.chain(), now=NOW)
    assert now.timestamp_valid is None and now.timestamped_at is None
    assert now.claimed_at is not None and now.trusted
    [later] = PadesVerifier().verify(old_style, ca.chain(), now=NOW + timedelta(days=3 * 365))
    assert not later.trusted  # checked now, and the certificate has expired


def _objects_pdf(objects: list[tuple[int, bytes]]) -> bytes:
    """A minimal PDF of the given numbered objects, object 1 the catalog."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = {}
    for number, body in objects:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref, size = out.tell(), max(offsets) + 1
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % size)
    for number in range(1, size):
        out.write(b"%010d 00000 n \n" % offsets.get(number, 0))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
    return out.getvalue()


def _copies_of_its_signature(signed: bytes, total: int) -> bytes:
    """``signed`` with an update adding fields until ``total`` point at its one signature:
    a few bytes each, a full validation each for a verifier that does not count them."""
    reader = PdfFileReader(io.BytesIO(signed))
    first = reader.root["/AcroForm"].raw_get("/Fields").raw_get(0)
    value = first.get_object().raw_get("/V").idnum
    size = int(reader.trailer["/Size"])
    out = io.BytesIO()
    out.write(signed)
    offsets = []
    for n in range(total - 1):
        offsets.append((size + n, out.tell()))
        out.write(b"%d 0 obj\n<< /FT /Sig /T (copy%d) /V %d 0 R >>\nendobj\n"
                  % (size + n, n, value))
    catalog = reader.trailer.raw_get("/Root").idnum
    offsets.append((catalog, out.tell()))
    fields = b" ".join(b"%d 0 R" % (size + n) for n in range(total - 1))
    out.write(b"%d 0 obj\n<< /Type /Catalog /Pages %d 0 R /AcroForm << /Fields [%d 0 R %s] "
              b"/SigFlags 3 >> >>\nendobj\n" % (catalog, reader.root.raw_get("/Pages").idnum,
                                                first.idnum, fields))
    xref = out.tell()
    out.write(b"xref\n")
    for number, offset in sorted(offsets):
        out.write(b"%d 1\n%010d 00000 n \n" % (number, offset))
    previous = int(signed.rsplit(b"startxref", 1)[1].split()[0])
    out.write(b"trailer\n<< /Size %d /Root %d 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n"
              % (size + total - 1, catalog, previous, xref))
    return out.getvalue()


def test_item9_a_pdf_with_more_signatures_than_checked_is_refused_before_any_is_validated(
        ca: LocalCertificateAuthority, signed: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Validation work grows with the square of the signatures: a small file of copies of
    one signature held a worker for minutes (hostile review); more than MAX_SIGNATURES are
    refused at once."""
    calls: list[object] = []
    monkeypatch.setattr(pades, "_evidence", _counted(calls))
    with pytest.raises(TooManySignatures):
        PadesVerifier().verify(_copies_of_its_signature(signed, pades.MAX_SIGNATURES + 1),
                               ca.chain(), now=NOW)
    assert calls == []
    PadesVerifier().verify(_copies_of_its_signature(signed, pades.MAX_SIGNATURES), ca.chain(),
                           now=NOW)
    assert len(calls) == pades.MAX_SIGNATURES


def _counted(calls: list[object]) -> Callable[..., object]:
    """A stand-in for one signature's validation that only counts its calls."""
    def validate(*args: object) -> object:
        calls.append(args)
        raise RuntimeError("counted, not validated")
    return validate


def test_item9_a_pdf_saved_over_more_often_than_followed_is_refused_before_any_validation(
        ca: LocalCertificateAuthority, signed: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyHanko's check for changes after signing walks every revision for every revision:
    one signature behind 5,000 empty revisions (0.5 MB) held a worker for 275 s of CPU
    (hostile measurement). Refused from the bytes, and -- for names that hide from that
    count -- from the parser's count."""
    calls: list[object] = []
    monkeypatch.setattr(pades, "_evidence", _counted(calls))
    existing = PdfFileReader(io.BytesIO(signed)).xrefs.total_revisions
    stuffed = empty_revisions(signed, pades.MAX_REVISIONS + 1 - existing)
    with pytest.raises(TooManyRevisions):
        PadesVerifier().verify(stuffed, ca.chain(), now=NOW)
    monkeypatch.setattr(pades, "_revisions_written", lambda _pdf: 0)
    with pytest.raises(TooManyRevisions):
        PadesVerifier().verify(stuffed, ca.chain(), now=NOW)
    assert calls == []
    PadesVerifier().verify(empty_revisions(signed, pades.MAX_REVISIONS - existing),
                           ca.chain(), now=NOW)
    assert len(calls) == 1


@pytest.mark.parametrize("objects", [
    [(1, b"<< /Type /Catalog /AcroForm << /Fields " + b"[" * 5000 + b"]" * 5000 + b" >> >>")],
    [(1, b"42")],  # a catalog that is no dictionary
], ids=["nested-5000-deep", "root-not-a-dictionary"])
def test_item9_a_hostile_pdf_is_unreadable_not_an_error_of_ours(
        ca: LocalCertificateAuthority, objects: list[tuple[int, bytes]]) -> None:
    with pytest.raises(UnreadablePdf):
        PadesVerifier().verify(_objects_pdf(objects), ca.chain(), now=NOW)


def test_x7_item9_no_signature_is_made_that_the_verification_would_refuse(
        ca: LocalCertificateAuthority, sealed: bytes) -> None:
    """A review signed a PDF of 1,000 revisions, and a 21st signature: both were made, and
    the public verification then refused the result."""
    crl = ca.crl([], number=1, now=NOW, next_update=NOW + timedelta(hours=6))
    material = SigningMaterial(ca.chain(), crl, lambda request: ca.timestamp(request, now=NOW))

    def sign(pdf: bytes) -> bytes:
        return PadesSigner().sign(pdf, sealed, PASSPHRASE, material, signer_name="AGUS",
                                  now=NOW)

    with pytest.raises(TooManyRevisions):
        sign(empty_revisions(_pdf(), pades.MAX_REVISIONS - 2))
    signed = sign(empty_revisions(_pdf(), pades.MAX_REVISIONS - 3))
    assert PdfFileReader(io.BytesIO(signed)).xrefs.total_revisions == pades.MAX_REVISIONS
    with pytest.raises(TooManySignatures):
        sign(_copies_of_its_signature(sign(_pdf()), pades.MAX_SIGNATURES))


def test_x7_twenty_boxes_fit_an_a4_page_without_overlapping() -> None:
    """A review: signatures 10 to 18 were clipped and from the 19th off the page."""
    from pyhanko.pdf_utils import generic

    writer = IncrementalPdfFileWriter(io.BytesIO(_pdf()), strict=False)
    boxes = []
    for _ in range(pades.MAX_SIGNATURES):
        name, box = pades._free_field(writer)
        fields.append_signature_field(writer, fields.SigFieldSpec(
            sig_field_name=name, box=box, on_page=0))
        boxes.append(box)
    assert all(x0 >= 0 and x1 <= 595 and y0 >= 0 and y1 <= 842 for x0, y0, x1, y1 in boxes)
    assert not any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                   for i, a in enumerate(boxes) for b in boxes[i + 1:])
    # A text field already named as the next signature would be: the name after it.
    text = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/FT"): generic.NameObject("/Tx"),
        generic.NameObject("/T"): generic.pdf_string("TandaTanganBSrE-21")}))
    writer.root["/AcroForm"]["/Fields"].append(text)
    assert pades._free_field(writer)[0] == "TandaTanganBSrE-22"


def test_item9_many_objects_written_after_signing_are_too_complex_at_once(
        ca: LocalCertificateAuthority, signed: bytes) -> None:
    """The diff analysis reviews every object written after a signature, for each
    signature: 20 signatures behind 59 revisions of 3,000 objects took 34 s."""
    with pytest.raises(TooComplex):
        PadesVerifier().verify(orphan_objects(signed, pades.MAX_LATER_OBJECTS + 1),
                               ca.chain(), now=NOW)
    [evidence] = PadesVerifier().verify(orphan_objects(signed, 100), ca.chain(), now=NOW)
    assert evidence.intact
