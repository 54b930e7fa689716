"""docker-compose.yml checked statically: no Docker engine runs here (issue 2, item 6)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from gerbang_ops.keycloak import KEYCLOAK_VERSION
from gerbang_sidecar.config import documented_variables

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
CONFIG_DOC = ROOT / "docs" / "configuration.md"
README = ROOT / "README.md"
DOCKERFILE = ROOT / "Dockerfile"
REALM_CONFIG = ROOT / "realm-config"

EXPECTED_SERVICES = {"postgres", "keycloak", "provision", "sidecar-migrate", "sidecar",
                     "sidecar-outbox", "mailsink", "fake-registry"}
STAGING_SERVICES = {"mailsink", "fake-registry"}
ONE_SHOT_SERVICES = {"provision", "sidecar-migrate"}
THEMES = ("gerbang", "gerbang-akses", "gerbang-oss", "gerbang-bsre", "gerbang-insw")
SECRET_WORDS = {"PASSWORD", "SECRET", "KEY", "TOKEN"}
# A secret is a required reference `${NAME:?message}`, or `${NAME:-}` for an optional one (SMTP
# credentials): a default with a value would be a secret written into the file.
SECRET_REFERENCE = re.compile(r"\$\{[A-Z][A-Z0-9_]*(:?\?[^}]*|:-)\}")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)|\$([A-Za-z_][A-Za-z0-9_]*)")
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::-[^}]*)?\}")
URL_PASSWORD = re.compile(r"://[^/:@\s]+:(?P<password>\$\{[^}]*\}|[^@\s/]+)@")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


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


def test_compose_keycloak_tag_matches_pinned_version(services: dict[str, Any]) -> None:
    image = services["keycloak"]["image"]
    assert image == f"quay.io/keycloak/keycloak:{KEYCLOAK_VERSION}"


def test_compose_keycloak_runs_start_mode_on_postgres_with_health(
        services: dict[str, Any]) -> None:
    keycloak = services["keycloak"]
    env = environment(keycloak)
    assert keycloak["command"][0] == "start"
    assert "start-dev" not in str(keycloak["command"])
    assert env["KC_DB"] == "postgres"
    assert env["KC_HEALTH_ENABLED"] == "true"
    for name in ("KC_DB_URL", "KC_DB_USERNAME", "KC_DB_PASSWORD", "KC_HOSTNAME"):
        assert env[name].startswith("${"), f"{name} must come from the environment"
    probe = " ".join(keycloak["healthcheck"]["test"])
    assert "/dev/tcp/127.0.0.1/9000" in probe and "/health/ready" in probe
    assert "curl" not in probe and "wget" not in probe  # neither exists in the image


def test_compose_mounts_every_theme_read_only_into_keycloak(services: dict[str, Any]) -> None:
    mounts = set(services["keycloak"]["volumes"])
    for theme in THEMES:
        assert f"./themes/{theme}:/opt/keycloak/themes/{theme}:ro" in mounts


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
    assert set(services["provision"]["depends_on"]) == {"keycloak"}
    assert set(services["sidecar-migrate"]["depends_on"]) == {"postgres"}
    assert {"provision", "sidecar-migrate", "keycloak"} <= set(services["sidecar"]["depends_on"])
    assert set(services["keycloak"]["depends_on"]) == {"postgres"}


def test_compose_runs_the_documented_commands(services: dict[str, Any]) -> None:
    assert services["provision"]["command"] == ["python", "-m", "gerbang_ops.provision", "apply"]
    assert services["sidecar-migrate"]["command"] == [
        "python", "-m", "gerbang_sidecar.migrations", "upgrade"]
    gunicorn = services["sidecar"]["command"]
    assert gunicorn[0] == "gunicorn" and "0.0.0.0:5000" in gunicorn
    # The app factory gunicorn calls exists (the entry point that sets up logging).
    module, _, call = gunicorn[-1].partition(":")
    assert callable(getattr(importlib.import_module(module), call.removesuffix("()")))
    assert services["sidecar-outbox"]["command"][:4] == [
        "python", "-m", "gerbang_sidecar", "outbox"]
    assert services["mailsink"]["command"][:3] == ["python", "-m", "gerbang_ops.mailsink"]
    assert services["fake-registry"]["command"][:3] == [
        "python", "-m", "gerbang_sidecar.fake_registry"]
    assert environment(services["sidecar"])["GERBANG_ENV"] == "production"


def test_compose_staging_helpers_run_only_under_the_staging_profile(
        services: dict[str, Any]) -> None:
    for name, service in services.items():
        expected = ["staging"] if name in STAGING_SERVICES else None
        assert service.get("profiles") == expected, name
        # A production service must never wait for a staging-only one.
        assert not STAGING_SERVICES & set(service.get("depends_on") or {}), name


def test_compose_gerbang_services_share_one_image(services: dict[str, Any]) -> None:
    for name in ("provision", "sidecar-migrate", "sidecar", "mailsink", "fake-registry"):
        assert services[name]["image"].startswith("gerbang:"), name
        assert services[name]["build"]["context"] == "."


def test_compose_provision_gets_every_realm_placeholder(services: dict[str, Any]) -> None:
    env = environment(services["provision"])
    # Upper-case ${NAME} / ${NAME:-default} are our placeholders; lower-case ones are Keycloak's.
    placeholders = {name for path in REALM_CONFIG.rglob("*.json")
                    for name in PLACEHOLDER.findall(path.read_text(encoding="utf-8"))}
    missing = placeholders - set(env)
    assert not missing, f"provision lacks realm-config placeholders {sorted(missing)}"
    for name in ("KEYCLOAK_URL", "KEYCLOAK_ADMIN_USER", "KEYCLOAK_ADMIN_PASSWORD",
                 "SIDECAR_CLIENT_SECRET", "SIDECAR_PUBLIC_URL", "AKSES_PORTAL_CLIENT_SECRET",
                 "EASY_CLIENT_SECRET", "SMTP_HOST", "SMTP_PORT", "SMTP_FROM", "SMTP_USER",
                 "SMTP_PASSWORD"):
        assert name in env, name


def test_compose_sidecar_gets_every_variable_it_reads(services: dict[str, Any]) -> None:
    env = environment(services["sidecar"])
    missing = set(documented_variables().values()) - set(env)
    assert not missing, f"sidecar environment lacks {sorted(missing)}"


def inline_secrets(services: dict[str, Any]) -> list[str]:
    """`service.KEY` for each secret-looking key or URL password not taken from the environment."""
    found = []
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_WORDS & set(key.upper().split("_")) and not SECRET_REFERENCE.fullmatch(
                    value):
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
    missing = read - set(services["keycloak"]["environment"])
    assert not missing, f"keycloak service lacks {sorted(missing)}"


# ---- issue 8 item 12: the production shape's security rules ---------------------------------

def test_compose_migrations_own_the_schema_and_the_app_only_changes_rows(
        compose: dict[str, Any], services: dict[str, Any]) -> None:
    assert "://gerbang_owner:" in environment(services["sidecar-migrate"])["DATABASE_URL"]
    for name in ("sidecar", "sidecar-outbox"):
        assert "://gerbang:" in environment(services[name])["DATABASE_URL"], name
    init = compose["configs"]["postgres-init"]
    script = (ROOT / init["file"]).read_text(encoding="utf-8")
    assert "CREATE DATABASE gerbang OWNER gerbang_owner" in script
    assert "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO gerbang" in script
    assert "REVOKE ALL ON SCHEMA public FROM PUBLIC" in script


def test_compose_forwarded_headers_count_only_from_the_proxy(services: dict[str, Any]) -> None:
    assert environment(services["keycloak"])["KC_PROXY_TRUSTED_ADDRESSES"]
    assert environment(services["sidecar"])["TRUSTED_PROXIES"]
    assert "PROXY_FIX_HOPS" not in environment(services["sidecar"])


def test_compose_keycloak_admin_console_has_its_own_host(services: dict[str, Any]) -> None:
    assert ":?" in environment(services["keycloak"])["KC_HOSTNAME_ADMIN"]


def test_compose_gunicorn_and_the_outbox_are_sized_not_defaults(services: dict[str, Any]) -> None:
    gunicorn = services["sidecar"]["command"]
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

    assert environment(services["keycloak"])[
        "KC_SPI_EVENTS_LISTENER__EMAIL__EXCLUDE_EVENTS"] == EMAIL_LISTENER_EXCLUDES
