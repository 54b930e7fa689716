"""docker-compose.yml checked statically: no Docker engine runs here (issue 2, item 6; issue 11
item 3: two Keycloak nodes and two sidecars behind one proxy; X6: the OCSP responder in a
service of its own, which the proxy sends /pki/ocsp to).

The file is validated against the compose-spec JSON schema that the pinned check-jsonschema
package ships (``check_jsonschema/builtin_schemas/vendor/compose-spec.json``, from
github.com/compose-spec/compose-spec), then checked for the rules the cluster test proved.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gerbang_ops.keycloak import KEYCLOAK_VERSION
from gerbang_ops.provision.files import environment_variables
from gerbang_sidecar.config import documented_variables

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
CONFIG_DOC = ROOT / "docs" / "configuration.md"
README = ROOT / "README.md"
DOCKERFILE = ROOT / "Dockerfile"
KEYCLOAK_DOCKERFILE = ROOT / "deploy" / "keycloak" / "Dockerfile"
NGINX_CONF = ROOT / "deploy" / "proxy" / "nginx.conf"
REALM_CONFIG = ROOT / "realm-config"

KEYCLOAK_NODES = ("keycloak-1", "keycloak-2")
SIDECARS = ("sidecar-1", "sidecar-2")
OCSP = "ocsp"
PROXY = "proxy"
EXPECTED_SERVICES = {"postgres", *KEYCLOAK_NODES, "provision", "sidecar-migrate",
                     "sidecar-ca-init", *SIDECARS, "sidecar-outbox", OCSP, PROXY, "mailpit",
                     "fake-registry"}
STAGING_SERVICES = {"mailpit", "fake-registry"}
ONE_SHOT_SERVICES = {"provision", "sidecar-migrate", "sidecar-ca-init"}
# Services that run the sidecar's code with the sidecar's whole environment.
SIDECAR_PROCESSES = (*SIDECARS, "sidecar-outbox", "sidecar-ca-init", OCSP)
# Credentials the OCSP responder never uses (it calls neither Keycloak nor a mail relay): kept
# out of the one process the internet reaches besides the pages.
NOT_FOR_OCSP = {"SIDECAR_CLIENT_SECRET", "AKSES_PORTAL_CLIENT_SECRET", "EASY_CLIENT_SECRET",
                "OSS_PORTAL_CLIENT_SECRET", "BSRE_PORTAL_CLIENT_SECRET",
                "INSW_PORTAL_CLIENT_SECRET", "SMTP_USER", "SMTP_PASSWORD"}
THEMES = ("gerbang", "gerbang-akses", "gerbang-oss", "gerbang-bsre", "gerbang-insw")
SECRET_WORDS = {"PASSWORD", "SECRET", "KEY", "TOKEN"}
# A secret is a required reference `${NAME:?message}`, or `${NAME:-}` for an optional one (SMTP
# credentials): a default with a value would be a secret written into the file.
SECRET_REFERENCE = re.compile(r"\$\{[A-Z][A-Z0-9_]*(:?\?[^}]*|:-)\}")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)")
URL_PASSWORD = re.compile(r"://[^/:@\s]+:(?P<password>\$\{[^}]*\}|[^@\s/]+)@")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))


def schema_errors(schema: dict[str, Any], document: Any) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator.iter_errors(document)]


@pytest.fixture(scope="module")
def documented() -> set[str]:
    """Variable names in the first column of docs/configuration.md's tables."""
    rows = re.findall(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|", CONFIG_DOC.read_text("utf-8"),
                      flags=re.MULTILINE)
    return set(rows)


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the `- KEY=value` form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def interpolated_variables(text: str) -> set[str]:
    # `$$` is compose's escape for a literal `$` (shell variables inside commands).
    unescaped = text.replace("$$", "")
    return {braced or bare for braced, bare in VARIABLE.findall(unescaped)}


def long_running(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if name not in ONE_SHOT_SERVICES}


def test_compose_file_parses_with_the_expected_services(services: dict[str, Any]) -> None:
    assert set(services) == EXPECTED_SERVICES


def test_compose_file_is_valid_against_the_compose_spec_schema(
        compose: dict[str, Any], compose_schema: dict[str, Any]) -> None:
    assert compose_schema["title"] == "Compose Specification"
    errors = schema_errors(compose_schema, compose)
    assert not errors, "\n".join(errors)


def test_compose_spec_schema_check_catches_a_misspelt_key(
        compose: dict[str, Any], compose_schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["keycloak-1"]["helthcheck"] = broken["services"]["keycloak-1"].pop(
        "healthcheck")
    assert any("helthcheck" in error for error in schema_errors(compose_schema, broken))


def test_compose_keycloak_image_builds_from_the_pinned_version(services: dict[str, Any]) -> None:
    dockerfile = KEYCLOAK_DOCKERFILE.read_text(encoding="utf-8")
    default = re.search(r"^ARG KEYCLOAK_VERSION=(\S+)$", dockerfile, re.MULTILINE)
    assert default and default.group(1) == KEYCLOAK_VERSION
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert bases and set(bases) == {"quay.io/keycloak/keycloak:${KEYCLOAK_VERSION}"}
    for node in KEYCLOAK_NODES:
        build = services[node]["build"]
        assert build["dockerfile"] == "deploy/keycloak/Dockerfile", node
        assert build["args"]["KEYCLOAK_VERSION"] == KEYCLOAK_VERSION, node
        assert services[node]["image"].startswith("gerbang-keycloak:"), node


def test_keycloak_image_is_built_for_postgres_and_starts_optimized() -> None:
    dockerfile = KEYCLOAK_DOCKERFILE.read_text(encoding="utf-8")
    for option in ("KC_DB=postgres", "KC_HEALTH_ENABLED=true", "KC_METRICS_ENABLED=true"):
        assert option in dockerfile, option
    assert "RUN /opt/keycloak/bin/kc.sh build" in dockerfile
    assert 'CMD ["start", "--optimized"]' in dockerfile
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")


def test_issue11_two_keycloak_nodes_run_optimized_on_postgres_with_health_metrics_json_logs(
        services: dict[str, Any]) -> None:
    for node in KEYCLOAK_NODES:
        keycloak = services[node]
        env = environment(keycloak)
        assert keycloak["command"] == ["start", "--optimized"], node
        assert env["KC_DB"] == "postgres"
        assert env["KC_HEALTH_ENABLED"] == "true"
        assert env["KC_METRICS_ENABLED"] == "true"
        assert env["KC_LOG_CONSOLE_OUTPUT"] == "json"
        assert env["KC_HTTP_ENABLED"] == "true"
        assert env["KC_PROXY_HEADERS"] == "xforwarded"
        for name in ("KC_DB_URL", "KC_DB_USERNAME", "KC_DB_PASSWORD", "KC_HOSTNAME"):
            assert env[name].startswith("${"), f"{node}.{name} must come from the environment"
        probe = " ".join(keycloak["healthcheck"]["test"])
        assert "/dev/tcp/127.0.0.1/9000" in probe and "/health/ready" in probe
        assert "curl" not in probe and "wget" not in probe  # neither exists in the image


def test_issue11_keycloak_nodes_share_hostname_and_the_jdbc_ping_cluster(
        services: dict[str, Any]) -> None:
    """One KC_HOSTNAME (else tokens fail across nodes: issuer mismatch), one database and the
    jdbc-ping stack on the Infinispan caches, so the nodes discover each other through it."""
    envs = [environment(services[node]) for node in KEYCLOAK_NODES]
    for env in envs:
        assert env["KC_CACHE"] == "ispn"
        assert env["KC_CACHE_STACK"] == "jdbc-ping"
    for name in ("KC_HOSTNAME", "KC_HOSTNAME_ADMIN", "KC_DB_URL", "KC_DB_USERNAME",
                 "KC_CACHE_STACK"):
        assert len({env[name] for env in envs}) == 1, f"the nodes differ in {name}"
    # The sidecar's links to Keycloak and its own public URL name the same origin.
    assert environment(services["sidecar-1"])["KEYCLOAK_PUBLIC_URL"].startswith("${KC_HOSTNAME")


def test_issue11_second_keycloak_node_joins_once_the_first_is_ready(
        services: dict[str, Any]) -> None:
    assert set(services["keycloak-1"]["depends_on"]) == {"postgres"}
    assert set(services["keycloak-2"]["depends_on"]) == {"keycloak-1"}
    for node in KEYCLOAK_NODES:
        # Both answer to the alias the sidecars call, so either one serves the back-channel.
        assert "keycloak" in services[node]["networks"]["default"]["aliases"], node


def test_compose_themes_are_baked_into_the_keycloak_image() -> None:
    dockerfile = KEYCLOAK_DOCKERFILE.read_text(encoding="utf-8")
    for theme in THEMES:
        assert re.search(rf"^COPY --chown=keycloak:keycloak themes/{theme} "
                         rf"/opt/keycloak/themes/{theme}$", dockerfile, re.MULTILINE), theme


def test_compose_every_long_running_service_has_a_healthcheck(
        services: dict[str, Any]) -> None:
    for name, service in long_running(services).items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name


def test_compose_one_shot_jobs_do_not_restart(services: dict[str, Any]) -> None:
    for name in ONE_SHOT_SERVICES:
        assert services[name].get("restart") == "no", name
        assert "healthcheck" not in services[name], name


def test_compose_depends_on_waits_for_health_or_completion(services: dict[str, Any]) -> None:
    for name, service in services.items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for target, spec in depends.items():
            assert target in services, f"{name} depends on unknown {target}"
            expected = ("service_completed_successfully" if target in ONE_SHOT_SERVICES
                        else "service_healthy")
            assert spec.get("condition") == expected, f"{name} -> {target}"


def test_compose_start_order_provisions_before_the_sidecar(services: dict[str, Any]) -> None:
    assert set(services["provision"]["depends_on"]) == {"keycloak-1"}
    assert set(services["sidecar-migrate"]["depends_on"]) == {"postgres"}
    assert set(services["sidecar-ca-init"]["depends_on"]) == {"sidecar-migrate"}
    for sidecar in SIDECARS:
        assert {"provision", "sidecar-migrate", "sidecar-ca-init", "keycloak-1"} <= set(
            services[sidecar]["depends_on"]), sidecar
    assert {"sidecar-migrate", "sidecar-ca-init"} <= set(services["sidecar-outbox"]["depends_on"])
    # The responder needs the schema and the CA it answers for, not Keycloak.
    assert set(services[OCSP]["depends_on"]) == {"sidecar-migrate", "sidecar-ca-init"}


def test_compose_runs_the_documented_commands(services: dict[str, Any]) -> None:
    assert services["provision"]["command"] == ["python", "-m", "gerbang_ops.provision", "apply"]
    assert services["sidecar-migrate"]["command"] == [
        "python", "-m", "gerbang_sidecar.migrations", "upgrade"]
    assert services["sidecar-ca-init"]["command"] == ["python", "-m", "gerbang_sidecar", "ca-init"]
    for sidecar in SIDECARS:
        gunicorn = services[sidecar]["command"]
        assert gunicorn[0] == "gunicorn" and "0.0.0.0:5000" in gunicorn
        # The app factory gunicorn calls exists (the entry point that sets up logging).
        module, _, call = gunicorn[-1].partition(":")
        assert callable(getattr(importlib.import_module(module), call.removesuffix("()")))
        assert environment(services[sidecar])["GERBANG_ENV"] == "production"
    assert services["sidecar-outbox"]["command"][:4] == [
        "python", "-m", "gerbang_sidecar", "outbox"]
    assert services["fake-registry"]["command"][:3] == [
        "python", "-m", "gerbang_sidecar.fake_registry"]


def test_compose_staging_helpers_run_only_under_the_staging_profile(
        services: dict[str, Any]) -> None:
    for name, service in services.items():
        expected = ["staging"] if name in STAGING_SERVICES else None
        assert service.get("profiles") == expected, name
        # A production service must never wait for a staging-only one.
        assert not STAGING_SERVICES & set(service.get("depends_on") or {}), name


def test_issue11_staging_mail_is_mailpit_on_loopback(services: dict[str, Any]) -> None:
    """Staging mail goes to Mailpit (issue 11 item 5); the tests keep the project's own sink."""
    mailpit = services["mailpit"]
    assert re.fullmatch(r"axllent/mailpit:v\d+\.\d+\.\d+", mailpit["image"])
    assert mailpit["profiles"] == ["staging"]
    assert mailpit["healthcheck"]["test"] == ["CMD", "/mailpit", "readyz"]
    env = environment(mailpit)
    # No TLS on the staging relay, and any SMTP_USER / SMTP_PASSWORD is accepted.
    assert env["MP_SMTP_AUTH_ACCEPT_ANY"] == env["MP_SMTP_AUTH_ALLOW_INSECURE"] == "true"
    assert mailpit["ports"] == ["127.0.0.1:${MAILPIT_HTTP_PORT:-8025}:8025"]


def test_compose_gerbang_services_share_one_image(services: dict[str, Any]) -> None:
    for name in ("provision", "sidecar-migrate", "sidecar-ca-init", *SIDECARS, "sidecar-outbox",
                 OCSP, "fake-registry"):
        assert services[name]["image"].startswith("gerbang:"), name
        assert services[name]["build"]["context"] == "."


def test_compose_provision_gets_every_realm_placeholder(services: dict[str, Any]) -> None:
    env = environment(services["provision"])
    # Upper-case ${NAME} / ${NAME:-default} are our placeholders; lower-case ones are Keycloak's.
    placeholders = environment_variables(REALM_CONFIG)
    missing = placeholders - set(env)
    assert not missing, f"provision lacks realm-config placeholders {sorted(missing)}"
    for name in ("KEYCLOAK_URL", "KEYCLOAK_ADMIN_USER", "KEYCLOAK_ADMIN_PASSWORD",
                 "SIDECAR_CLIENT_SECRET", "SIDECAR_PUBLIC_URL", "AKSES_PORTAL_CLIENT_SECRET",
                 "EASY_CLIENT_SECRET", "SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USER",
                 "SMTP_PASSWORD"):
        assert name in env, name


def test_compose_sidecar_gets_every_variable_it_reads(services: dict[str, Any]) -> None:
    for name in SIDECAR_PROCESSES:
        env = environment(services[name])
        missing = set(documented_variables().values()) - set(env)
        assert not missing, f"{name} environment lacks {sorted(missing)}"
    assert {n: environment(services[OCSP])[n] for n in NOT_FOR_OCSP} == dict.fromkeys(
        NOT_FOR_OCSP, "")


def test_issue11_sidecars_share_one_configuration_on_postgres(services: dict[str, Any]) -> None:
    """Stateless sidecars: the same settings everywhere, and their shared state (sessions, rate
    limits, one-time codes, the outbox) in PostgreSQL, never a file of their own."""
    # Only where a process keeps its metric values differs (the web workers share a folder).
    # (and the credentials the OCSP responder goes without).
    envs = [{k: v for k, v in environment(services[name]).items()
             if k != "PROMETHEUS_MULTIPROC_DIR" and k not in NOT_FOR_OCSP}
            for name in SIDECAR_PROCESSES]
    assert all(env == envs[0] for env in envs), "the sidecar processes' settings differ"
    credentials = [{k: environment(services[name])[k] for k in NOT_FOR_OCSP}
                   for name in SIDECAR_PROCESSES if name != OCSP]
    assert all(c == credentials[0] for c in credentials)
    assert envs[0]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@postgres:5432/" in envs[0]["DATABASE_URL"]
    assert envs[0]["OUTBOX_IN_PROCESS"] == "false"
    assert environment(services["sidecar-migrate"])["DATABASE_URL"].startswith(
        "postgresql+psycopg://")
    assert services["sidecar-1"]["command"] == services["sidecar-2"]["command"]


def test_issue11_only_the_proxy_publishes_keycloak_and_the_sidecar(
        services: dict[str, Any]) -> None:
    publishing = {name for name, service in services.items() if service.get("ports")}
    assert publishing - STAGING_SERVICES == {PROXY}
    for name, service in services.items():
        assert not service.get("network_mode"), f"{name} must stay on the compose network"
    for name in STAGING_SERVICES & publishing:  # staging pages: this machine only
        for port in services[name]["ports"]:
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"
    # The admin listener is published on its own address, loopback unless set.
    admin = [p for p in services[PROXY]["ports"] if str(p).endswith(":8443")]
    assert admin == ["${GERBANG_ADMIN_BIND_ADDRESS:-127.0.0.1}:${GERBANG_ADMIN_PORT:-8443}:8443"]


def nginx_directives() -> str:
    """deploy/proxy/nginx.conf without its comments."""
    return re.sub(r"#.*", "", NGINX_CONF.read_text(encoding="utf-8"))


def nginx_upstreams(conf: str) -> dict[str, list[str]]:
    """upstream name -> the `host:port` of each of its servers."""
    blocks = re.findall(r"upstream\s+(\w+)\s*\{(.*?)\}", conf, re.DOTALL)
    return {name: re.findall(r"^\s*server\s+(\S+)", body, re.MULTILINE)
            for name, body in blocks}


def test_issue11_proxy_balances_both_keycloak_nodes_and_both_sidecars(
        compose: dict[str, Any], services: dict[str, Any]) -> None:
    proxy = services[PROXY]
    assert proxy["image"].startswith("nginx:")
    assert compose["configs"]["nginx-conf"]["file"] == "./deploy/proxy/nginx.conf"
    assert {"source": "nginx-conf", "target": "/etc/nginx/nginx.conf"} in proxy["configs"]
    conf = nginx_directives()
    upstreams = nginx_upstreams(conf)
    assert upstreams["keycloak"] == [f"{node}:8080" for node in KEYCLOAK_NODES]
    assert upstreams["sidecar"] == [f"{name}:5000" for name in SIDECARS]
    # No stickiness: the sidecar is stateless and Keycloak's sessions are in its caches.
    assert not re.search(r"\b(ip_hash|hash|sticky)\b", conf)
    # Replicas that restart get new addresses: nginx re-resolves them.
    assert "resolver 127.0.0.11" in conf and conf.count(" resolve ") == 5


def test_issue11_one_origin_routes_keycloak_public_paths_and_hides_the_rest() -> None:
    conf = nginx_directives()
    public = re.search(r"listen 443 ssl default_server;(.*?)\n    \}\n", conf, re.DOTALL)
    assert public, "no public TLS server block"
    routes = dict(re.findall(r"location\s+(?:\^~\s+|=\s+|~\s+)?(\S+)\s*\{\s*(.*?)\s*\}",
                             public.group(1), re.DOTALL))
    # Keycloak gets the portal realms by name and nothing else of /realms/ (the master
    # realm's login and token endpoint belong to the admin listener).
    realms = sorted(p.name for p in (ROOT / "realm-config").iterdir()
                    if p.is_dir() and not p.name.startswith("_"))
    assert "proxy_pass http://keycloak;" in routes[f"^/realms/({'|'.join(realms)})(/|$)"]
    for path in ("/resources/", "/.well-known/"):
        assert "proxy_pass http://keycloak;" in routes[path], path
    assert "proxy_pass http://sidecar;" in routes["/"]
    for hidden in ("/realms/", "/internal/", "/metrics"):
        assert routes[hidden] == "return 404;", hidden
    assert "/admin/" not in routes  # Keycloak's admin console: the admin listener only
    # The edge overwrites forwarded headers instead of passing on what a client sent.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf


# ---- X6: the OCSP responder in a service of its own ------------------------------------------

def ocsp_port(services: dict[str, Any]) -> int:
    command = services[OCSP]["command"]
    return int(command[command.index("--bind") + 1].rpartition(":")[2])


def nginx_locations(server: str) -> dict[str, str]:
    """`modifier path` (`= /x`, `^~ /x/`, or the bare path) -> the location's directives."""
    found = re.findall(r"location\s+((?:\^~|=)\s+)?(\S+)\s*\{\s*(.*?)\s*\}", server, re.DOTALL)
    return {f"{modifier.strip()} {path}".strip(): body for modifier, path, body in found}


def test_x6_ocsp_service_runs_serve_ocsp_with_the_sidecar_environment(
        services: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11's production shape answers OCSP from its own process under granian: the
    command the CLI documents, the sidecars' image and settings, metrics of its own."""
    from gerbang_sidecar import cli

    ocsp = services[OCSP]
    assert ocsp["command"] == ["python", "-m", "gerbang_sidecar", "serve-ocsp", "--bind",
                               "0.0.0.0:5001", "--workers", "2", "--blocking-threads", "2"]
    # The CLI takes that command as written (and would start granian with it).
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(cli, "serve_ocsp", lambda **options: started.append(options))
    assert cli.main(ocsp["command"][3:]) == 0
    assert started == [{"host": "0.0.0.0", "port": 5001, "workers": 2,  # noqa: S104
                        "blocking_threads": 2}]
    assert ocsp["restart"] == "unless-stopped"
    assert ocsp["image"] == services["sidecar-1"]["image"]
    env, web = environment(ocsp), environment(services["sidecar-1"])
    own = {"PROMETHEUS_MULTIPROC_DIR", *NOT_FOR_OCSP}
    assert {k: v for k, v in env.items() if k not in own} == {
        k: v for k, v in web.items() if k not in own}
    # Its workers' metric files next to the web workers', never in their directory
    # (serve-ocsp empties its own at start).
    ocsp_metrics, web_metrics = (Path(e["PROMETHEUS_MULTIPROC_DIR"]) for e in (env, web))
    assert ocsp_metrics != web_metrics and ocsp_metrics.parent == web_metrics.parent
    assert not ocsp.get("ports"), "only the proxy publishes ports"


def test_x6_ocsp_service_is_healthy_when_its_readiness_answers_on_its_port(
        services: dict[str, Any]) -> None:
    check = services[OCSP]["healthcheck"]
    probe = " ".join(check["test"])
    assert check["test"][:3] == ["CMD", "python", "-c"]
    assert f"urlopen('http://127.0.0.1:{ocsp_port(services)}/internal/ready'" in probe
    assert check["start_period"] and check["retries"] >= 3
    # The proxy waits for one responder, as it waits for one node of Keycloak and the sidecar.
    assert services[PROXY]["depends_on"][OCSP] == {"condition": "service_healthy"}


def test_x6_proxy_sends_ocsp_to_the_ocsp_service_and_the_rest_of_pki_to_the_sidecar(
        services: dict[str, Any]) -> None:
    from gerbang_sidecar.web import pki_ocsp

    conf = nginx_directives()
    assert nginx_upstreams(conf)["ocsp"] == [f"{OCSP}:{ocsp_port(services)}"]
    assert re.search(rf"server {OCSP}:\d+ resolve ", conf)  # every replica of --scale ocsp=N
    public = re.search(r"listen 443 ssl default_server;(.*?)\n    \}\n", conf, re.DOTALL)
    assert public, "no public TLS server block"
    routes = nginx_locations(public.group(1))
    # The responder's own paths: POST to /pki/ocsp, GET /pki/ocsp/<base64> (RFC 6960 A.1).
    for route in (f"= {pki_ocsp.PATH}", f"^~ {pki_ocsp.GET_PREFIX}"):
        assert "proxy_pass http://ocsp;" in routes[route], route
        # No proxy_set_header of its own: the forwarded headers are the http block's, the
        # ones the sidecar gets (a location that sets one would drop all the others).
        assert "proxy_set_header" not in routes[route], route
    # The CRL and the CA certificate stay with the sidecar (its catch-all location).
    pki = {route for route in routes if route.split()[-1].startswith("/pki")}
    assert pki == {f"= {pki_ocsp.PATH}", f"^~ {pki_ocsp.GET_PREFIX}"}
    assert "proxy_pass http://sidecar;" in routes["/"]
    # Plain http serves what certificates name (PKI_PUBLIC_URL) the same way, and redirects
    # the rest; the admin listener and the health listener never reach the responder.
    plain = re.search(r"listen 80 default_server;(.*?)\n    \}\n", conf, re.DOTALL)
    assert plain, "no plain http server block"
    plain_routes = nginx_locations(plain.group(1))
    assert {route: text for route, text in plain_routes.items()
            if route.split()[-1].startswith("/pki")} == {
        f"= {pki_ocsp.PATH}": routes[f"= {pki_ocsp.PATH}"],
        f"^~ {pki_ocsp.GET_PREFIX}": routes[f"^~ {pki_ocsp.GET_PREFIX}"],
        "= /pki/issuing-ca.crl": "proxy_pass http://sidecar;",
        "= /pki/issuing-ca.crt": "proxy_pass http://sidecar;"}
    assert plain_routes["/"] == "return 301 https://$host$request_uri;"
    assert conf.count("proxy_pass http://ocsp;") == 4


def inline_secrets(services: dict[str, Any]) -> list[str]:
    """`service.KEY` for each secret-looking key or URL password not taken from the environment."""
    found = []
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_WORDS & set(key.upper().split("_")) and value and \
                    not SECRET_REFERENCE.fullmatch(value):
                found.append(f"{name}.{key}")
            url = URL_PASSWORD.search(value)
            if url and not SECRET_REFERENCE.fullmatch(url["password"]):
                found.append(f"{name}.{key} (password in URL)")
    return found


def test_inline_secret_check_flags_literals_and_defaults() -> None:
    sample = {"svc": {"environment": {
        "DB_PASSWORD": "hunter2", "API_KEY": "${API_KEY:-dev}", "OK_SECRET": "${OK_SECRET:?x y}",
        "OPTIONAL_PASSWORD": "${OPTIONAL_PASSWORD:-}",
        "DATABASE_URL": "postgresql://u:hunter2@db/app", "KEYCLOAK_URL": "http://keycloak:8080",
        "GOOD_URL": "postgresql://u:${P:?set P (URL-safe)}@db/app"}},
        "listed": {"environment": ["TOKEN=abc"]}}
    assert inline_secrets(sample) == [
        "svc.DB_PASSWORD", "svc.API_KEY", "svc.DATABASE_URL (password in URL)", "listed.TOKEN"]


def test_compose_has_no_inline_secret_values(services: dict[str, Any]) -> None:
    found = inline_secrets(services)
    assert not found, f"secrets must be ${{VAR:?…}} (or empty ${{VAR:-}}): {found}"


def test_compose_every_variable_is_documented(documented: set[str]) -> None:
    used = interpolated_variables(COMPOSE.read_text(encoding="utf-8"))
    assert used, "no ${VAR} found: the pattern is broken"
    missing = used - documented
    assert not missing, f"document these in docs/configuration.md: {sorted(missing)}"


def test_compose_every_container_variable_is_documented(
        services: dict[str, Any], documented: set[str]) -> None:
    keys = {key for service in services.values() for key in environment(service)}
    missing = keys - documented
    assert not missing, f"document these in docs/configuration.md: {sorted(missing)}"


def test_configuration_documents_every_sidecar_variable(documented: set[str]) -> None:
    missing = set(documented_variables().values()) - documented
    assert not missing, f"document these in docs/configuration.md: {sorted(missing)}"


def readme_compose_services(text: str) -> list[str]:
    """Services a README lists under a heading that mentions docker-compose.

    A service is the first backticked lower-case name of a list item or table row in that
    section, e.g. "- `keycloak` — Keycloak in start mode"; other backticked words (commands,
    variables, profiles in running text) are not service names.
    """
    names: list[str] = []
    in_section = False
    level = 0
    for line in text.splitlines():
        heading = re.match(r"^(#+)\s+(.*)", line)
        if heading:
            depth = len(heading.group(1))
            if re.search(r"docker[- ]compose", heading.group(2), re.IGNORECASE):
                in_section, level = True, depth
            elif in_section and depth <= level:
                in_section = False
            continue
        if in_section and re.match(r"^\s*([-*+]|\d+\.|\|)\s*", line):
            first = re.search(r"`([^`]+)`", line)
            if first and re.fullmatch(r"[a-z][a-z0-9-]*", first.group(1)):
                names.append(first.group(1))
    return names


def test_readme_compose_services_parser_reads_list_items_only() -> None:
    sample = ("# Gerbang\n- `make run`\n## Production with docker-compose\nRun `staging` too.\n"
              "- `keycloak` — Keycloak\n- `sidecar`: gunicorn\n| `postgres` | db |\n"
              "- `KC_HOSTNAME` is a variable\n## Limits\n- `other`\n")
    assert readme_compose_services(sample) == ["keycloak", "sidecar", "postgres"]


def test_compose_has_every_service_the_readme_names(services: dict[str, Any]) -> None:
    if not README.exists():
        pytest.skip("README.md does not exist yet; nothing to compare")
    named = readme_compose_services(README.read_text(encoding="utf-8"))
    if not named:
        pytest.skip("README.md lists no `service` names under a docker-compose heading")
    missing = set(named) - set(services)
    assert not missing, f"README.md names services docker-compose.yml lacks: {sorted(missing)}"


def test_dockerfile_builds_one_non_root_image_with_pinned_dependencies() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    assert "-c constraints.txt" in text
    for folder in ("extension-service/", "scripts/", "realm-config/", "themes/"):
        assert re.search(rf"^COPY {re.escape(folder)} ", text, re.MULTILINE), folder
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"


def test_c6_keycloak_gets_every_variable_the_themes_read(services: dict[str, Any]) -> None:
    """Themes build their sidecar links and contacts from ${env.NAME}; Keycloak must have NAME."""
    themes = COMPOSE.parent / "themes"
    lines = [line for path in themes.rglob("theme.properties")
             for line in path.read_text(encoding="utf-8").splitlines()
             if not line.lstrip().startswith("#")]
    read = {name for line in lines for name in re.findall(r"\$\{env\.([A-Z0-9_]+)", line)}
    assert read, "expected the themes to read at least SIDECAR_PUBLIC_URL"
    for node in KEYCLOAK_NODES:
        missing = read - set(services[node]["environment"])
        assert not missing, f"{node} service lacks {sorted(missing)}"


# ---- issue 8 item 12: the production shape's security rules ---------------------------------

def test_compose_migrations_own_the_schema_and_the_app_only_changes_rows(
        compose: dict[str, Any], services: dict[str, Any]) -> None:
    assert "://gerbang_owner:" in environment(services["sidecar-migrate"])["DATABASE_URL"]
    for name in SIDECAR_PROCESSES:
        assert "://gerbang:" in environment(services[name])["DATABASE_URL"], name
    init = compose["configs"]["postgres-init"]
    script = (ROOT / init["file"]).read_text(encoding="utf-8")
    assert "CREATE DATABASE gerbang OWNER gerbang_owner" in script
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gerbang" in script
    assert "REVOKE ALL ON SCHEMA public FROM PUBLIC" in script


def test_compose_forwarded_headers_count_only_from_the_proxy(services: dict[str, Any]) -> None:
    for node in KEYCLOAK_NODES:
        assert environment(services[node])["KC_PROXY_TRUSTED_ADDRESSES"]
    for sidecar in SIDECARS:
        assert environment(services[sidecar])["TRUSTED_PROXIES"]
        assert "PROXY_FIX_HOPS" not in environment(services[sidecar])


def test_compose_keycloak_admin_console_has_its_own_host(services: dict[str, Any]) -> None:
    for node in KEYCLOAK_NODES:
        assert ":?" in environment(services[node])["KC_HOSTNAME_ADMIN"]


def test_compose_gunicorn_and_the_outbox_are_sized_not_defaults(services: dict[str, Any]) -> None:
    for sidecar in SIDECARS:
        gunicorn = services[sidecar]["command"]
        for option in ("--worker-class", "--workers", "--threads", "--timeout"):
            assert option in gunicorn, option
    assert "--threads" in services["sidecar-outbox"]["command"]


def test_sidecar_service_account_holds_no_unused_roles() -> None:
    import json

    granted = json.loads((REALM_CONFIG / "_common" / "service-accounts.json").read_text())
    # view-events: the outbox reads failed logins to send one notice, not one per failure.
    assert granted["gerbang-sidecar"]["clientRoles"]["realm-management"] == [
        "manage-users", "view-users", "query-users", "view-events"]


def test_compose_keycloak_mails_no_failed_login_itself(services: dict[str, Any]) -> None:
    from gerbang_ops.keycloak.server import EMAIL_LISTENER_EXCLUDES

    for node in KEYCLOAK_NODES:
        assert environment(services[node])[
            "KC_SPI_EVENTS_LISTENER__EMAIL__EXCLUDE_EVENTS"] == EMAIL_LISTENER_EXCLUDES


def test_x3_the_proxy_logs_no_query_string_token_or_referer() -> None:
    """Query strings carry Keycloak's action tokens, OIDC codes and an officer's NIK
    search; the sidecar's links carry their token as the last path segment."""
    conf = nginx_directives()
    assert "access_log /dev/stdout gerbang;" in conf
    log_format = conf[conf.index("log_format gerbang"):]
    log_format = log_format[:log_format.index(";")]
    for leaking in ("$request ", "$request_uri", "$args", "$query_string", "$http_referer",
                    '$request"', "$uri"):
        assert leaking not in log_format, leaking
    assert "$logged_uri" in log_format
    assert '"${kept}/-"' in conf


def test_issue11_compose_gerbang_processes_run_hardened_like_the_kubernetes_pods(
        services: dict[str, Any]) -> None:
    for name in ("provision", "sidecar-migrate", "sidecar-ca-init", *SIDECARS, "sidecar-outbox",
                 OCSP):
        service = services[name]
        assert service["read_only"] is True, name
        assert set(service["tmpfs"]) == {"/tmp", "/var/lib/gerbang"}, name  # noqa: S108
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_issue11_compose_keycloak_nodes_run_on_a_read_only_root(services: dict[str, Any]) -> None:
    """What the production-mode runtime showed a node writes: data/ and /tmp, nothing else."""
    for name in ("keycloak-1", "keycloak-2"):
        service = services[name]
        assert service["read_only"] is True, name
        assert set(service["tmpfs"]) == {"/tmp", "/opt/keycloak/data"}, name  # noqa: S108
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_x3_every_gunicorn_runs_with_the_redacting_logger(services: dict[str, Any]) -> None:
    """gunicorn's own lines reach the redaction only through gunicorn_config's logger: the
    image's default command as well as compose's and the Kubernetes Deployment's."""
    cmd = DOCKERFILE.read_text(encoding="utf-8").split("\nCMD ", 1)[1]
    commands = [json.loads(cmd[:cmd.index("]") + 1])]
    commands += [s["command"] for s in services.values()
                 if isinstance(s.get("command"), list) and s["command"][:1] == ["gunicorn"]]
    deployment = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "sidecar-deployment.yaml")
                                .read_text(encoding="utf-8"))
    commands += [c["command"] for c in deployment["spec"]["template"]["spec"]["containers"]
                 if c.get("command", [""])[0] == "gunicorn"]
    assert len(commands) >= 3
    for command in commands:
        assert command[1:3] == ["--config", "python:gerbang_sidecar.gunicorn_config"], command
