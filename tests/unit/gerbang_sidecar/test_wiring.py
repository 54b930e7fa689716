"""The composition root: implementations chosen by name from the settings, built once, and
the health probes of what the portals use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import responses
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gerbang_sidecar.adapters.keycloak.fake import FakeKeycloakUsers
from gerbang_sidecar.adapters.keycloak.http import HttpKeycloakUsers
from gerbang_sidecar.adapters.mail import FakeMailer, NullMailer, SmtpMailer
from gerbang_sidecar.adapters.registries.dukcapil import FakeDukcapil, HttpDukcapil
from gerbang_sidecar.app import create_app
from gerbang_sidecar.config import RegistryUrls, Settings
from gerbang_sidecar.domain.certificates.profiles import Product, person_subject, profile_for
from gerbang_sidecar.portals import registries_in_use
from gerbang_sidecar.wiring import build_services

URLS = RegistryUrls(**{name: f"http://{name}.test/api" for name in
                       ("dukcapil", "oss", "ksei", "bkn", "sipp", "message_gateway")})


def test_backends_are_chosen_by_name(make_settings: Callable[..., Settings]) -> None:
    fakes = build_services(make_settings())
    assert isinstance(fakes.keycloak, FakeKeycloakUsers)
    assert isinstance(fakes.registries.dukcapil, FakeDukcapil)
    assert isinstance(fakes.mailer, FakeMailer)
    real = build_services(make_settings(keycloak_backend="http", registry_backend="http",
                                        mail_backend="smtp"))
    assert isinstance(real.keycloak, HttpKeycloakUsers)
    assert isinstance(real.registries.dukcapil, HttpDukcapil)
    assert isinstance(real.mailer, SmtpMailer)
    assert isinstance(build_services(make_settings(mail_backend="null")).mailer, NullMailer)


def test_the_services_share_one_keycloak_and_one_store(
        make_settings: Callable[..., Settings]) -> None:
    services = build_services(make_settings())
    worker = services.outbox_worker()
    assert worker.store is services.storage
    assert services.akses_registration._ctx.keycloak is services.keycloak
    assert services.password_reset._ctx.keycloak is services.keycloak


def test_a_part_passed_in_replaces_the_built_one(make_settings: Callable[..., Settings]) -> None:
    mine = FakeKeycloakUsers()
    services = build_services(make_settings(), keycloak=mine)
    assert services.keycloak is mine and services.legacy_members._keycloak is mine


@responses.activate
def test_probes_cover_the_database_the_ca_and_each_registry_in_use(
        make_settings: Callable[..., Settings]) -> None:
    services = build_services(make_settings(registry_backend="http", registries=URLS,
                                            registry_timeout_seconds=0.5))
    assert set(services.probes) == {"database", "certificate_authority", *registries_in_use()}
    for name in registries_in_use():
        responses.get(f"http://{name}.test/api/health",
                      status=503 if name == "message_gateway" else 200)
    body = create_app(services=services).test_client().get("/internal/ready").get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["message_gateway"] == "down"
    assert body["checks"]["dukcapil"] == "up" and body["checks"]["database"] == "up"
    # No ca-init here: every portal is served, BSrE's certificate pages are not (degraded).
    assert body["checks"]["certificate_authority"] == "down"


@responses.activate
def test_build_http_registries_uses_each_url(make_settings: Callable[..., Settings]) -> None:
    services = build_services(make_settings(registry_backend="http", registries=URLS))
    responses.get("http://ksei.test/api/health", status=200)
    assert services.registries.ksei.is_reachable()
    assert set(services.registries.by_name()) == {"dukcapil", "oss", "ksei", "bkn", "sipp",
                                                  "message_gateway"}


def test_readiness_reports_the_database_down_as_503(make_settings: Callable[..., Settings],
                                                    tmp_path: Path) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}")
    response = create_app(settings).test_client().get("/internal/ready")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"] == "down"


def test_x6_the_outbox_process_renews_the_responders_and_the_tsas_keys(
        make_settings: Callable[..., Settings]) -> None:
    services = build_services(make_settings())
    chores = {chore._name: chore for chore in services.chores()}
    assert chores["ca service keys"]._work == services.service_keys.run


def test_x6_issued_certificates_name_the_pki_address(
        make_settings: Callable[..., Settings]) -> None:
    """PKI_PUBLIC_URL (plain http in production, RFC 5280 4.2.1.13) is where every issued
    certificate says its CRL, its issuer's certificate and its OCSP responder are."""
    services = build_services(make_settings(public_url="https://portal.example.go.id",
                                            pki_public_url="http://portal.example.go.id"))
    now = datetime.now(UTC)
    authority = services.certificate_authority
    authority.ensure(now=now)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issued = authority.issue(
        key.public_key().public_bytes(serialization.Encoding.DER,
                                      serialization.PublicFormat.SubjectPublicKeyInfo),
        person_subject("Agus Wijaya", "BSSN", "3174041503800005"),
        profile_for(Product.ESIGN), now=now)
    leaf = x509.load_der_x509_certificate(issued.certificate)
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert {d.access_location.value for d in aia} == {
        "http://portal.example.go.id/pki/ocsp", "http://portal.example.go.id/pki/issuing-ca.crt"}
    cdp = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for n in cdp[0].full_name or []] == [
        "http://portal.example.go.id/pki/issuing-ca.crl"]


def test_x6_a_wrong_ca_kek_degrades_the_page_sidecar_and_stops_the_ocsp_process(
        make_settings: Callable[..., Settings]) -> None:
    """The page sidecar serves every portal without the CA's keys (only BSrE's certificate
    pages fail): ready, degraded. The OCSP process answers nothing without them: not ready."""
    from gerbang_sidecar.app import create_ocsp_app

    made = build_services(make_settings(ca_key="the kek the CA was made with " * 2))
    made.certificate_authority.ensure(now=datetime.now(UTC))
    wrong = build_services(make_settings(ca_key="another kek, not the CA's one " * 2))
    pages = create_app(services=wrong).test_client().get("/internal/ready")
    assert (pages.status_code, pages.get_json()["status"]) == (200, "degraded")
    assert pages.get_json()["checks"]["certificate_authority"] == "down"
    responder = create_ocsp_app(services=wrong).test_client().get("/internal/ready")
    assert responder.status_code == 503
    right = build_services(make_settings(ca_key="the kek the CA was made with " * 2))
    assert create_app(services=right).test_client().get(
        "/internal/ready").get_json()["checks"]["certificate_authority"] == "up"
