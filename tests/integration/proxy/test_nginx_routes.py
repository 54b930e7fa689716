"""deploy/proxy/nginx.conf run by Debian's nginx in front of three stub upstreams (issue 11's
one origin; X2's limit on Keycloak's own reset page; X3's access log; X8's HSTS).

The file is the production one with only what a loopback run must change: ports, the
upstreams' addresses, the certificate, file paths -- and two things Debian's nginx 1.22
lacks (``http2 on`` and re-resolving upstream names), which change no route.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from gerbang_ops.keycloak.server import free_port

ROOT = Path(__file__).resolve().parents[3]
CONF = ROOT / "deploy" / "proxy" / "nginx.conf"
UPSTREAMS = {"keycloak": r"keycloak-[12]:8080", "sidecar": r"sidecar-[12]:5000",
             "ocsp": r"ocsp:5001"}
START_SECONDS = 30


class _Stub(BaseHTTPRequestHandler):
    """Answers with its upstream's name, the path and the forwarded headers it got."""

    name = ""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        remaining = length
        while remaining:
            remaining -= len(self.rfile.read(min(remaining, 1 << 16)))
        body = "\n".join([self.name, self.path, self.headers.get("X-Forwarded-For", ""),
                          self.headers.get("X-Request-ID", "")]).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    folder = tmp_path_factory.mktemp("nginx")
    servers = []
    text = CONF.read_text(encoding="utf-8")
    for name, pattern in UPSTREAMS.items():
        server = ThreadingHTTPServer(("127.0.0.1", 0), type(name, (_Stub,), {"name": name}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        text = re.sub(pattern, f"127.0.0.1:{server.server_address[1]}", text)
    ports = {"http": free_port(), "https": free_port(), "admin": free_port(),
             "health": free_port()}
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    for old, new in [
        ("/tmp/", f"{folder}/"),  # noqa: S108 -- first: the paths below are under /tmp too
        # Run as root (as here), nginx's workers would be `nobody`, who cannot write the
        # test's own folder: they stay the user that started it.
        ("user nginx;", "user root;" if os.geteuid() == 0 else ""),
        ("http2 on;", ""), (" resolve ", " "),
        ("resolver 127.0.0.11 valid=10s ipv6=off;", ""),
        ("listen 80 default_server", f"listen 127.0.0.1:{ports['http']} default_server"),
        ("listen 443 ssl default_server", f"listen 127.0.0.1:{ports['https']} ssl default_server"),
        ("listen 8443 ssl", f"listen 127.0.0.1:{ports['admin']} ssl"),
        ("listen 127.0.0.1:8081", f"listen 127.0.0.1:{ports['health']}"),
        ("/run/secrets/tls-certificate", str(folder / "cert.pem")),
        ("/run/secrets/tls-key", str(folder / "key.pem")),
        ("access_log /dev/stdout", f"access_log {folder / 'access.log'}"),
        ("error_log /dev/stderr", f"error_log {folder / 'error.log'}"),
    ]:
        assert old in text, f"nginx.conf no longer has {old!r}: update this test"
        text = text.replace(old, new)
    (folder / "nginx.conf").write_text(text, encoding="utf-8")
    process = subprocess.Popen([nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder),
                                "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            socket.create_connection(("127.0.0.1", ports["https"]), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(
                    f"nginx did not start: {process.communicate()[1]!r}") from None
            time.sleep(0.1)
    yield {"url": f"https://127.0.0.1:{ports['https']}", "ca": str(folder / "cert.pem"),
           "http": f"http://127.0.0.1:{ports['http']}", "log": folder / "access.log"}
    process.terminate()
    process.wait(timeout=10)
    for server in servers:
        server.shutdown()


def _get(proxy: dict[str, object], path: str, **kwargs: object) -> requests.Response:
    # A prepared request keeps the path byte for byte (no dot-segment or case clean-up).
    session = requests.Session()
    request = requests.Request("GET", f"{proxy['url']}/", **kwargs).prepare()  # type: ignore[arg-type]
    request.url = f"{proxy['url']}{path}"
    return session.send(request, verify=str(proxy["ca"]), allow_redirects=False, timeout=10)


@pytest.mark.parametrize(("path", "upstream"), [
    ("/realms/akses/protocol/openid-connect/auth", "keycloak"),
    ("/realms/bsre", "keycloak"),
    ("/realms/oss/account/", "keycloak"),
    ("/realms/insw/.well-known/openid-configuration", "keycloak"),
    ("/resources/x/login/gerbang/css/gerbang.css", "keycloak"),
    ("/.well-known/openid-configuration", "keycloak"),
    # The master realm's login and token endpoint, however it is spelt, and realms not ours.
    ("/realms/master", None),
    ("/realms/master/protocol/openid-connect/token", None),
    ("/realms/master;x/protocol/openid-connect/token", None),
    ("/realms/%6Daster/protocol/openid-connect/token", None),
    ("/realms/akses/../master/protocol/openid-connect/token", None),
    ("/realms/aksesx/account", None),
    ("/realms/master/login-actions/reset-credentials", None),
    # Readiness and metrics are for the orchestrator and the scraper.
    ("/internal/ready", None),
    ("/metrics", None),
    ("/pki/ocsp", "ocsp"),
    ("/pki/ocsp/MEIwQDA-", "ocsp"),
    ("/pki/crl/issuing.crl", "sidecar"),
    ("/akses/", "sidecar"),
    ("/admin/", "sidecar"),  # the sidecar 404s it; the console is on the admin listener
])
def test_issue11_one_origin_routes_only_what_is_public(proxy: dict[str, object], path: str,
                                                      upstream: str | None) -> None:
    answer = _get(proxy, path)
    if upstream is None:
        assert answer.status_code in (400, 404), answer.text[:200]
        assert "keycloak" not in answer.text
    else:
        assert answer.status_code == 200
        assert answer.text.split("\n")[0] == upstream


def test_x2_forwarded_for_is_the_edges_own_view_and_requests_carry_an_id(
        proxy: dict[str, object]) -> None:
    answer = _get(proxy, "/akses/", headers={"X-Forwarded-For": "203.0.113.9"})
    name, _path, forwarded, request_id = answer.text.split("\n")
    assert (name, forwarded) == ("sidecar", "127.0.0.1")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_x2_keycloaks_own_reset_page_is_limited_per_client(proxy: dict[str, object]) -> None:
    """BSrE's "forgot password" is Keycloak's (B10's OTP step lives in its flow) and each
    send mails the account's owner: the edge allows a burst, then 429."""
    codes = [_get(proxy, "/realms/bsre/login-actions/reset-credentials").status_code
             for _ in range(12)]
    assert codes[:6] == [200] * 6
    assert 429 in codes
    # Not around the limit with a path parameter either.
    assert _get(proxy, "/realms/bsre/login-actions;x/reset-credentials").status_code == 400
    # Logins are not part of that limit.
    assert _get(proxy, "/realms/bsre/protocol/openid-connect/auth").status_code == 200


def test_x6_ocsp_is_limited_per_client(proxy: dict[str, object]) -> None:
    """Each OCSP answer with a nonce costs a signature: past a burst of 100 at 50 a second,
    one address gets 429 -- asked until refused (any machine asks faster than 50 a second),
    so the check does not depend on how fast this one is. POST to the path and GET with the
    request in it share the address's budget."""
    with requests.Session() as session:
        asked = 0
        while asked < 5000:
            asked += 1
            answer = session.post(f"{proxy['url']}/pki/ocsp", data=b"0", timeout=10,
                                  verify=str(proxy["ca"]),
                                  headers={"Content-Type": "application/ocsp-request"})
            if answer.status_code == 429:
                break
            assert answer.text.startswith("ocsp\n")
        else:
            pytest.fail("5,000 OCSP requests and no 429")
        assert asked > 100  # the burst first
        # The GET path shares the drained budget: refused long before a burst of its own
        # (a busy machine may refill a slot or two between requests, one every 20 ms).
        statuses = []
        while len(statuses) < 20 and 429 not in statuses:
            statuses.append(session.get(
                f"{proxy['url']}/pki/ocsp/MEIwQDA%2BMDwwOjAJBgUrDgMCGgUA",
                verify=str(proxy["ca"]), timeout=10).status_code)
        assert 429 in statuses, statuses
        # The address's budget comes back (other tests of this proxy ask OCSP paths too).
        deadline = time.monotonic() + 60
        while session.post(f"{proxy['url']}/pki/ocsp", data=b"0", timeout=10,
                           verify=str(proxy["ca"])).status_code == 429:
            assert time.monotonic() < deadline, "the OCSP limit never let go"
            time.sleep(0.05)


def test_x3_the_access_log_keeps_no_query_string_or_link_token(
        proxy: dict[str, object]) -> None:
    _get(proxy, "/akses/lupa-kata-sandi/atur/RahasiaTautan123?nik=3171015203900001")
    _get(proxy, "/realms/akses/login-actions/action-token?key=TokenAksi456")
    deadline = time.monotonic() + 10
    log = Path(str(proxy["log"]))
    while "action-token" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_text()
    assert "/akses/lupa-kata-sandi/atur/-" in text
    for secret in ("RahasiaTautan123", "3171015203900001", "TokenAksi456"):
        assert secret not in text


def test_issue11_bodies_up_to_the_largest_upload_pass_and_larger_ones_stop_at_the_edge(
        proxy: dict[str, object]) -> None:
    url = f"{proxy['url']}/bsre/tanda-tangan"
    ca = str(proxy["ca"])
    assert requests.post(url, data=b"x" * (11 * 1024 * 1024), verify=ca,
                         timeout=30).status_code == 200
    assert requests.post(url, data=b"x" * (13 * 1024 * 1024), verify=ca,
                         timeout=30).status_code == 413


def test_issue11_plain_http_is_sent_to_https(proxy: dict[str, object]) -> None:
    answer = requests.get(f"{proxy['http']}/akses/", allow_redirects=False, timeout=10)
    assert answer.status_code == 301
    assert answer.headers["Location"].startswith("https://")


@pytest.mark.parametrize(("path", "upstream"), [
    ("/pki/issuing-ca.crl", "sidecar"),
    ("/pki/issuing-ca.crt", "sidecar"),
    ("/pki/ocsp", "ocsp"),
    ("/pki/ocsp/MEIwQDA-", "ocsp"),
    # Nothing else over http: not the TSA, not the pages, not a neighbour of the paths above.
    ("/pki/tsa", None),
    ("/pki/issuing-ca.crl.bak", None),
    ("/pki/", None),
    ("/bsre/sertifikat", None),
    ("/realms/bsre", None),
])
def test_x6_certificate_status_answers_over_plain_http(proxy: dict[str, object], path: str,
                                                      upstream: str | None) -> None:
    """What certificates name as their CRL, issuer certificate and OCSP responder is fetched
    over http by relying parties (RFC 5280 4.2.1.13): served there, with the forwarded
    headers and the request id of the https side; everything else goes to https."""
    deadline = time.monotonic() + 10
    answer = requests.get(f"{proxy['http']}{path}", allow_redirects=False, timeout=10)
    # The OCSP limit test may have drained this address's budget: it refills at 50 a second.
    while answer.status_code == 429 and time.monotonic() < deadline:
        time.sleep(0.05)
        answer = requests.get(f"{proxy['http']}{path}", allow_redirects=False, timeout=10)
    if upstream is None:
        assert answer.status_code == 301
        assert answer.headers["Location"].startswith("https://")
    else:
        assert answer.status_code == 200
        name, forwarded_path, forwarded, request_id = answer.text.split("\n")
        assert (name, forwarded_path, forwarded) == (upstream, path, "127.0.0.1")
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
