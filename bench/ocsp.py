"""Issue 12 item 13 (X6): the OCSP responder at 1 and 32 concurrent clients, Gerbang's beside
OpenSSL's own, serving the same certificates in the same run, in two workloads: every request
with a nonce (each answer signed afresh on both sides) and no request with one (the RFC 5019
profile browsers, Windows, Adobe Reader and CDNs use: Gerbang answers from its pre-signed
responses, services/certificates/ocsp.py; OpenSSL signs every answer).

Gerbang's side is the real endpoint, ``POST /pki/ocsp``, served as production serves it:
the responder's own process, ``python -m gerbang_sidecar serve-ocsp`` (granian, pinned in
the requirements) with docker-compose.yml's options, on the migrated SQLite database of this
run. OpenSSL's side is ``openssl ocsp -index index.txt -port N -rsigner ... -rkey ... -CA
issuing.pem``, its index written from the same database rows, signing with the same
delegated responder key and certificate, answering like ours (responder named by key hash,
next update in an hour, the nonce echoed). OpenSSL's responder is one process with one
thread (``-multi`` is not used) and closes every connection; so the one client opens a new
connection for each request on both sides. The client is the same for both: threads, each
posting a prebuilt DER request (SHA-1 CertID, as OpenSSL's client sends, with or without a
nonce by workload); 85 % ask about valid certificates, 10 % revoked ones, 5 % serial numbers
the CA never issued (never kept: those are signed per request on both sides). Each workload
and concurrency is asked twice over untimed first, the same requests on both sides, so
Gerbang's workers have opened the CA and seen the CertIDs, as a responder that has been up
for minutes has.

A third server takes the same turns: the same server with the same options serving a WSGI app
that answers fixed bytes (bench/ocsp_floor.py), the floor no responder behind it can beat;
its figures are in the table's notes.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp

from bench.certificates import (
    REALM,
    BareCa,
    CaFixture,
    bench_subject,
    issue_sealed,
    sidecar_ca,
    store_certificate,
)
from bench.environment import compose_ocsp_arguments, stop_group
from bench.ocsp_floor import SIZE_VARIABLE
from bench.ocsp_index import INDEX_ATTRIBUTES, IndexEntry, index_text, openssl_subject
from bench.report import Row, Table, fmt_ratio
from bench.runner import Bounds, timed_concurrently
from bench.stats import Summary, percentile
from gerbang_ops.keycloak.server import free_port
from gerbang_ops.paths import REPO_ROOT
from gerbang_sidecar.domain.certificates.profiles import Product, profile_for
from gerbang_sidecar.ports.ca import KeyStore

CERTIFICATES = 200
REVOKED_EVERY = 7  # about 30 of the 200 are revoked
CONCURRENCY = (1, 32)
# (label, whether every request carries a nonce)
WORKLOADS = (("nonce", True), ("no nonce (RFC 5019)", False))
ROUNDS = 4  # each side's requests in this many batches, the sides taking turns
P99_GOAL = 0.005
USER = "bench-ocsp"
CONTENT_TYPE = {"Content-Type": "application/ocsp-request"}
# CertIDs hash with SHA-1, as OpenSSL's client and RFC 5019 responders expect; only names
# the certificate asked about, it protects nothing.
CERT_ID_HASH = hashes.SHA1()  # noqa: S303


@dataclass(frozen=True)
class Endpoint:
    label: str
    host: str
    port: int
    path: str

    def post(self, body: bytes) -> bytes:
        """One request on a connection of its own (OpenSSL's responder closes each one)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("POST", self.path, body, CONTENT_TYPE)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"{self.label}: HTTP {response.status}")
        return data


@dataclass(frozen=True)
class Asked:
    request: bytes
    nonce: bytes | None
    expected: ocsp.OCSPCertStatus


# --- the certificates both responders serve ------------------------------------------------

def populate(fixture: CaFixture) -> list[x509.Certificate]:
    """CERTIFICATES rows as issuance leaves them, every REVOKED_EVERY-th revoked since.

    One subscriber key for all (key generation is not what this measures); every row holds
    the same full-size PKCS#12, encrypted at rest like any other.
    """
    services = fixture.services
    ca = services.certificate_authority
    now = services.clock()
    sealed = issue_sealed(services, bench_subject(0), now=now)
    public = x509.load_der_x509_certificate(sealed.certificate.certificate).public_key()
    public_der = public.public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)
    certificates = []
    for n in range(CERTIFICATES):
        subject = bench_subject(n)
        issued = ca.issue(public_der, subject, profile_for(Product.ESIGN), now=now)
        row_id = store_certificate(services, KeyStore(sealed.pkcs12, issued), user_id=USER,
                                   now=now)
        if n % REVOKED_EVERY == 0:
            with services.storage.transaction() as tx:
                tx.certificates.set_status(row_id, status="revoked", expected="issued",
                                           revoked_at=now, reason="key_compromise")
        certificates.append(x509.load_der_x509_certificate(issued.certificate))
    return certificates


def index_entries(fixture: CaFixture) -> list[IndexEntry]:
    """index.txt's lines from the database rows: revoked rows R, every other status V (the
    sidecar answers good for issued, renewed and expired certificates alike)."""
    with fixture.services.storage.transaction() as tx:
        rows = tx.certificates.certificates_of(realm=REALM, user_id=USER)
    entries = []
    for row in rows:
        certificate = x509.load_der_x509_certificate(bytes(row.certificate))
        revoked = row.status == "revoked"
        entries.append(IndexEntry(
            serial_number=int(row.serial_number, 16), not_after=row.not_after,
            subject=openssl_subject(certificate.subject),
            revoked_at=row.revoked_at if revoked else None,
            reason=row.revocation_reason if revoked else None))
    return entries


def requests_to_ask(ca: BareCa, certificates: list[x509.Certificate], count: int, *,
                    nonce: bool = True) -> list[Asked]:
    """``count`` DER requests, each with its own nonce or none at all, in the mix the module
    names."""
    # The issuer's hashes, for serial numbers without a certificate.
    issuer = ocsp.load_der_ocsp_request(ocsp.OCSPRequestBuilder().add_certificate(
        certificates[0], ca.issuing, CERT_ID_HASH).build().public_bytes(
            serialization.Encoding.DER))
    asked = []
    for n in range(count):
        if n % 20 == 0:  # a serial the CA never issued
            serial = int.from_bytes(os.urandom(19), "big") | 1
            builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
                issuer.issuer_name_hash, issuer.issuer_key_hash, serial, CERT_ID_HASH)
            expected = ocsp.OCSPCertStatus.UNKNOWN
        else:
            revoked = n % 10 == 1
            pool = [c for i, c in enumerate(certificates)
                    if (i % REVOKED_EVERY == 0) is revoked]
            certificate = pool[n % len(pool)]
            builder = ocsp.OCSPRequestBuilder().add_certificate(
                certificate, ca.issuing, CERT_ID_HASH)
            expected = ocsp.OCSPCertStatus.REVOKED if revoked else ocsp.OCSPCertStatus.GOOD
        sent = os.urandom(16) if nonce else None
        if sent is not None:
            builder = builder.add_extension(x509.OCSPNonce(sent), critical=False)
        asked.append(Asked(builder.build().public_bytes(serialization.Encoding.DER), sent,
                           expected))
    return asked


def check_answer(ca: BareCa, asked: Asked, answer: bytes, label: str) -> None:
    """Both responders must give the same answer: a successful response, the status
    expected, the nonce echoed (none without one), signed by the delegated responder's key."""
    response = ocsp.load_der_ocsp_response(answer)
    if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise RuntimeError(f"{label}: {response.response_status}")
    if response.certificate_status != asked.expected:
        raise RuntimeError(f"{label}: {response.certificate_status}, not {asked.expected}")
    nonces = [e.value.nonce for e in response.extensions if isinstance(e.value, x509.OCSPNonce)]
    if nonces != ([] if asked.nonce is None else [asked.nonce]):
        raise RuntimeError(f"{label}: the nonce is not echoed as asked")
    algorithm = response.signature_hash_algorithm
    assert algorithm is not None
    ca.responder_key.public_key().verify(response.signature, response.tbs_response_bytes,
                                         padding.PKCS1v15(), algorithm)


# --- the two servers -------------------------------------------------------------------

@contextmanager
def openssl_responder(fixture: CaFixture, ca: BareCa) -> Iterator[Endpoint]:
    folder = fixture.folder / "openssl"
    folder.mkdir()
    (folder / "index.txt").write_text(index_text(index_entries(fixture)), encoding="ascii")
    (folder / "index.txt.attr").write_text(INDEX_ATTRIBUTES, encoding="ascii")
    pem = serialization.Encoding.PEM
    (folder / "issuing.pem").write_bytes(ca.issuing.public_bytes(pem))
    (folder / "responder.pem").write_bytes(ca.responder.public_bytes(pem))
    key = folder / "responder.key"
    key.touch(mode=0o600)  # the temporary folder goes when the run ends
    key.write_bytes(ca.responder_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    port = free_port()
    command = ["openssl", "ocsp", "-index", "index.txt", "-port", str(port),
               "-rsigner", "responder.pem", "-rkey", "responder.key", "-CA", "issuing.pem",
               "-nmin", "60", "-resp_key_id", "-rmd", "sha256", "-ignore_err"]
    with (folder / "openssl.log").open("wb") as log:
        process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield Endpoint("openssl ocsp", "127.0.0.1", port, "/")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def gerbang_responder(fixture: CaFixture) -> Iterator[Endpoint]:
    """``serve-ocsp`` with docker-compose.yml's options on the fixture's database and CA."""
    environment = {**fixture.environment, "PATH": os.environ.get("PATH", "")}
    with _serving([sys.executable, "-m", "gerbang_sidecar", "serve-ocsp"], environment,
                  fixture.folder / "serve-ocsp.log") as port:
        yield Endpoint("gerbang /pki/ocsp", "127.0.0.1", port, "/pki/ocsp")


@contextmanager
def server_floor(fixture: CaFixture, size: int) -> Iterator[Endpoint]:
    """The same server and options serving bench/ocsp_floor.py: fixed ``size`` bytes."""
    environment = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO_ROOT),
                   SIZE_VARIABLE: str(size)}
    with _serving([sys.executable, "-m", "bench.ocsp_floor"], environment,
                  fixture.folder / "floor.log") as port:
        yield Endpoint("server floor", "127.0.0.1", port, "/pki/ocsp")


@contextmanager
def _serving(command: list[str], environment: dict[str, str], log_path: Path
             ) -> Iterator[int]:
    """``command`` with compose's serve-ocsp options on a free port, stopped afterwards."""
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*command, *compose_ocsp_arguments(), "--bind", f"127.0.0.1:{port}"],
            env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield port
    finally:
        stop_group(process)


def wait_until_answering(endpoint: Endpoint, body: bytes, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            endpoint.post(body)
            return
        except (OSError, RuntimeError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- timing --------------------------------------------------------------------------

def merged(parts: list[Summary]) -> Summary:
    """Batches of one side as one: every latency, the wall time of the batches together."""
    return Summary(count=sum(p.count for p in parts), elapsed=sum(p.elapsed for p in parts),
                   latencies=tuple(t for p in parts for t in p.latencies),
                   failures=sum(p.failures for p in parts))


def timed_sides(endpoints: list[Endpoint], asked: list[Asked], *, clients: int, count: int,
                max_seconds: float, log: Callable[[str], None]) -> list[Summary]:
    """``count`` requests per side at ``clients`` at once, in ROUNDS turns per side."""
    parts: list[list[Summary]] = [[] for _ in endpoints]
    per_round = max(clients, count // ROUNDS)
    for turn in range(ROUNDS):
        for endpoint, side in zip(endpoints, parts, strict=True):
            def operation(index: int, endpoint: Endpoint = endpoint) -> None:
                endpoint.post(asked[index % len(asked)].request)

            side.append(timed_concurrently(
                operation, clients=clients, count=per_round, first_index=turn * per_round,
                max_seconds=max_seconds / ROUNDS, label=endpoint.label, log=log))
    return [merged(side) for side in parts]


def run(bounds: Bounds, log: Callable[[str], None] = print) -> Table:
    count = max(200, bounds.count * 25) // ROUNDS * ROUNDS
    with sidecar_ca("ocsp") as fixture:
        ca = fixture.bare()
        certificates = populate(fixture)
        workloads = {label: requests_to_ask(ca, certificates, 1000, nonce=nonce)
                     for label, nonce in WORKLOADS}
        results: dict[tuple[str, int], list[Summary]] = {}
        size = len(fixture.services.ocsp.respond(workloads[WORKLOADS[0][0]][1].request))
        with gerbang_responder(fixture) as ours, openssl_responder(fixture, ca) as theirs, \
                server_floor(fixture, size) as floor:
            endpoints = [ours, theirs, floor]
            for endpoint in endpoints:
                wait_until_answering(endpoint, workloads[WORKLOADS[0][0]][0].request)
            for endpoint in (ours, theirs):
                for asked in workloads.values():
                    for sample in asked[:20]:  # every kind of answer, from both
                        check_answer(ca, sample, endpoint.post(sample.request),
                                     endpoint.label)
            for label, asked in workloads.items():
                for clients in CONCURRENCY:
                    log(f"ocsp, {label}: {count} requests per side at {clients} client(s) ...")
                    # Untimed first, every request twice: each gunicorn worker opens the CA
                    # (keys decrypted once per process) and its database connections, and has
                    # been asked the CertIDs -- both sides asked the same.
                    timed_sides(endpoints, asked, clients=clients, count=2 * len(asked),
                                max_seconds=bounds.max_seconds, log=log)
                    results[(label, clients)] = timed_sides(
                        endpoints, asked, clients=clients, count=count,
                        max_seconds=bounds.max_seconds, log=log)
    return _table(results)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _table(results: dict[tuple[str, int], list[Summary]]) -> Table:
    table = Table(title="OCSP responder (issue 12 item 13, X6): requests over HTTP",
                  gerbang_label="Gerbang POST /pki/ocsp (serve-ocsp)",
                  baseline_label="openssl ocsp -index (1 process)")
    for (workload, clients), (ours, theirs, _floor) in results.items():
        label = f"{workload}, {clients} client{'s' if clients > 1 else ''}"
        table.rows += [
            Row(f"{label}: requests/s", f"{ours.per_second:.0f}", f"{theirs.per_second:.0f}",
                fmt_ratio(ours.per_second / theirs.per_second)),
            Row(f"{label}: p50", _ms(ours.p50), _ms(theirs.p50), fmt_ratio(ours.p50 / theirs.p50)),
            Row(f"{label}: p99 of {ours.count}", _ms(percentile(ours.latencies, 99)),
                _ms(percentile(theirs.latencies, 99)),
                fmt_ratio(percentile(ours.latencies, 99) / percentile(theirs.latencies, 99))),
        ]
    for (workload, clients), (ours, theirs, _floor) in results.items():
        p99 = percentile(ours.latencies, 99)
        table.rows += [
            Row(f"goal, {workload}, {clients}: p99 ≤ {P99_GOAL * 1000:.0f} ms",
                "met" if p99 <= P99_GOAL else "NOT met", "", ""),
            Row(f"goal, {workload}, {clients}: requests/s ≥ OpenSSL's",
                "met" if ours.per_second >= theirs.per_second else "NOT met", "",
                fmt_ratio(ours.per_second / theirs.per_second)),
        ]
    arguments = " ".join(compose_ocsp_arguments())
    floors = "; ".join(
        f"{workload}, {clients}: {floor.per_second:.0f} requests/s, p50 {_ms(floor.p50)}, "
        f"p99 {_ms(percentile(floor.latencies, 99))}"
        for (workload, clients), (_ours, _theirs, floor) in results.items())
    many = max(CONCURRENCY)
    table.notes += [
        f"Gerbang: the responder's process as docker-compose.yml runs it (python -m "
        f"gerbang_sidecar serve-ocsp {arguments}: granian in front of web/pki_ocsp.py; "
        "production may run several behind its proxy, not part of this), on this run's SQLite "
        "database (production uses PostgreSQL). Each request reads the revocation mark (one "
        "indexed read outside a transaction); a certificate's status is read from the "
        "database once per process until the mark changes; without a nonce the signed answer "
        "is reused for its CertID until half its hour has passed (services/certificates/"
        "ocsp.py). OpenSSL: the index file in memory, one process, one request at a time, "
        "every answer signed. Both sign with the same RSA-2048 responder key (SHA-256) and "
        "include the responder's certificate; checked before timing, in both workloads: same "
        "statuses, nonce echoed (or none), signature by that key.",
        f"client: Python threads on this machine, a new connection per request on both "
        f"sides; {CERTIFICATES} certificates, 1,000 prebuilt requests per workload asked in "
        f"turn (the same bytes to both sides), twice over untimed before each timed run; "
        f"latencies include the client's own time. Each side's requests ran in {ROUNDS} "
        "batches, the sides taking turns.",
        "floor, measured in the same turns: the same server and options serving a WSGI app "
        "that reads the body and answers fixed bytes of the same length "
        f"(bench/ocsp_floor.py) -- no responder served that way can do better: {floors}.",
        f"p99 at {many} clients: each client asks again as soon as it is answered, so the mean "
        f"latency is {many} ÷ requests/s (Little's law) for any server this client measures -- "
        f"{many} ÷ the floor's requests/s is already above the p99 goal, OpenSSL's own p99 "
        "with it. That goal can be shown only by a faster client than Python threads on "
        "the same two cores.",
    ]
    return table
