"""deploy/kubernetes/ checked statically: no cluster runs here (issue 11 item 3; X6: the OCSP
responder's own Deployment, which the Ingress sends /pki/ocsp to).

Every built-in manifest is validated against the "local-strict" JSON schemas (no field the API
does not know) of Kubernetes 1.35 and 1.37 that the pinned kubernetes-validate package ships
(``kubernetes_validate/kubernetes-json-schema/``, made from the Kubernetes OpenAPI definitions
like github.com/yannh/kubernetes-json-schema). The operator's ``Keycloak`` resource has no
schema in a package we can pin, so its fields are checked against the ones the Keycloak
Operator guide documents (KEYCLOAK_FIELDS below), and its settings against docker-compose.yml.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import yaml
from flask import Flask

from gerbang_ops.keycloak import KEYCLOAK_VERSION
from gerbang_ops.keycloak.server import EMAIL_LISTENER_EXCLUDES
from gerbang_ops.provision.files import environment_variables
from gerbang_sidecar.config import Settings, documented_variables

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "kubernetes"
COMPOSE = ROOT / "docker-compose.yml"
CONFIG_DOC = ROOT / "docs" / "configuration.md"
REALM_CONFIG = ROOT / "realm-config"
THEMES = ROOT / "themes"
OCSP_DEPLOYMENT = "gerbang-sidecar-ocsp"
# Credentials the OCSP responder never uses (it calls neither Keycloak nor a mail relay): kept
# out of the one process the internet reaches besides the pages.
NOT_FOR_OCSP = {"SIDECAR_CLIENT_SECRET", "AKSES_PORTAL_CLIENT_SECRET", "EASY_CLIENT_SECRET",
                "OSS_PORTAL_CLIENT_SECRET", "BSRE_PORTAL_CLIENT_SECRET",
                "INSW_PORTAL_CLIENT_SECRET", "SMTP_USER", "SMTP_PASSWORD"}

KUBERNETES_VERSIONS = ("1.35.0", "1.37.0")
DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
NOT_BUILT_IN = {"Keycloak", "Kustomization"}
SECRET_WORDS = {"PASSWORD", "SECRET", "KEY", "TOKEN", "KEK"}

# The Keycloak resource's fields (k8s.keycloak.org/v2alpha1) that we use or may use, as the
# Keycloak Operator guide documents them for Keycloak 26 ("update" since 26.2).
KEYCLOAK_FIELDS: dict[str, set[str] | None] = {
    "instances": None, "image": None, "imagePullSecrets": None, "startOptimized": None,
    "db": {"vendor", "host", "port", "database", "schema", "url", "usernameSecret",
           "passwordSecret", "poolInitialSize", "poolMinSize", "poolMaxSize"},
    "hostname": {"hostname", "admin", "adminUrl", "strict", "strictBackchannel",
                 "backchannelDynamic"},
    "http": {"httpEnabled", "httpPort", "httpsPort", "tlsSecret"},
    "httpManagement": {"port"},
    "proxy": {"headers"},
    "ingress": {"enabled", "className", "annotations"},
    "features": {"enabled", "disabled"},
    "update": {"strategy", "revision"},
    "resources": {"requests", "limits"},
    "scheduling": {"affinity", "priorityClassName", "tolerations", "topologySpreadConstraints"},
    "bootstrapAdmin": {"user", "service"},
    "transaction": None, "truststores": None, "cache": None,
    "additionalOptions": None, "unsupported": {"podTemplate"},
}


# ---- loading ----------------------------------------------------------------------------------

def manifest_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


@pytest.fixture(scope="module")
def kustomization() -> dict[str, Any]:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict[str, Any]]:
    """file name -> its one document."""
    found = {}
    for path in manifest_files():
        documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        assert len(documents) == 1, f"{path.name}: one resource per file"
        found[path.name] = documents[0]
    return found


def one(manifests: dict[str, dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [m for m in manifests.values()
               if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}"
    return matches[0]


@pytest.fixture(scope="module")
def config(manifests: dict[str, dict[str, Any]]) -> dict[str, str]:
    return one(manifests, "ConfigMap", "gerbang-config")["data"]


@pytest.fixture(scope="module")
def keycloak(manifests: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return one(manifests, "Keycloak", "keycloak")


@pytest.fixture(scope="module")
def compose_services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def containers(workload: dict[str, Any], *, init: bool = True) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*(spec.get("initContainers") or [] if init else []), *spec["containers"]]


def container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [c for c in containers(workload) if c["name"] == name]
    return found


def workloads(manifests: dict[str, dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (m for m in manifests.values() if m["kind"] in ("Deployment", "Job"))


def env_names(item: dict[str, Any], config: dict[str, str]) -> set[str]:
    """What a container sees: its env entries and the ConfigMap it takes whole."""
    names = {e["name"] for e in item.get("env") or []}
    for source in item.get("envFrom") or []:
        assert source["configMapRef"]["name"] == "gerbang-config"
        names |= set(config)
    return names


def secret_refs(item: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """env name -> (Secret, key) for the env entries taken from a Secret."""
    return {e["name"]: (ref["name"], ref["key"]) for e in item.get("env") or []
            if (ref := (e.get("valueFrom") or {}).get("secretKeyRef"))}


# ---- schemas ---------------------------------------------------------------------------------

@functools.cache
def schema_dir(version: str) -> Any:
    return resources.files("kubernetes_validate") / "kubernetes-json-schema" / (
        f"v{version}-local-strict")


@functools.cache
def definitions(version: str) -> referencing.Resource:
    text = (schema_dir(version) / "_definitions.json").read_text(encoding="utf-8")
    return referencing.Resource.from_contents(json.loads(text))


def kubernetes_validator(version: str, api_version: str, kind: str) -> jsonschema.Validator:
    group, _, api = api_version.rpartition("/")
    # apps/v1 -> apps-v1, networking.k8s.io/v1 -> networking-v1, v1 -> v1 (the core group)
    name = f"{kind.lower()}-{group.split('.')[0] + '-' if group else ''}{api}.json"
    schema = json.loads((schema_dir(version) / name).read_text(encoding="utf-8"))
    registry = referencing.Registry().with_resources([
        (schema["$id"], referencing.Resource.from_contents(schema)),
        (DEFINITIONS_ID, definitions(version))])
    return jsonschema.Draft202012Validator(schema, registry=registry)


def kubernetes_errors(version: str, manifest: dict[str, Any]) -> list[str]:
    validator = kubernetes_validator(version, manifest["apiVersion"], manifest["kind"])
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in validator.iter_errors(manifest)]


# ---- the files -------------------------------------------------------------------------------

def test_kustomization_applies_every_manifest_in_the_folder(
        kustomization: dict[str, Any]) -> None:
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == "gerbang"
    assert sorted(kustomization["resources"]) == [p.name for p in manifest_files()]
    assert {i["name"] for i in kustomization["images"]} == {"gerbang"}


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_issue11_every_manifest_is_valid_against_its_kubernetes_schema(
        version: str, manifests: dict[str, dict[str, Any]]) -> None:
    checked = set()
    for name, manifest in manifests.items():
        if manifest["kind"] in NOT_BUILT_IN:
            continue
        errors = kubernetes_errors(version, manifest)
        assert not errors, f"{name} (Kubernetes {version}):\n" + "\n".join(errors)
        checked.add(manifest["kind"])
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job",
            "ConfigMap", "Ingress", "Namespace"} <= checked


def test_kubernetes_schema_check_catches_misspelt_and_mistyped_fields(
        manifests: dict[str, dict[str, Any]]) -> None:
    deployment = copy.deepcopy(manifests["sidecar-deployment.yaml"])
    deployment["spec"]["replica"] = deployment["spec"].pop("replicas")
    assert any("replica" in e for e in kubernetes_errors(KUBERNETES_VERSIONS[0], deployment))
    hpa = copy.deepcopy(manifests["sidecar-hpa.yaml"])
    hpa["spec"]["minReplicas"] = "two"
    assert any("minReplicas" in e for e in kubernetes_errors(KUBERNETES_VERSIONS[0], hpa))


# ---- Keycloak --------------------------------------------------------------------------------

def test_issue11_keycloak_resource_runs_two_optimized_nodes_of_our_pinned_image(
        keycloak: dict[str, Any]) -> None:
    assert keycloak["apiVersion"] == "k8s.keycloak.org/v2alpha1"
    spec = keycloak["spec"]
    assert spec["instances"] == 2
    # deploy/keycloak/Dockerfile: our themes, built for PostgreSQL, so start --optimized.
    assert spec["image"].endswith(f"/keycloak:{KEYCLOAK_VERSION}")
    assert spec["startOptimized"] is True


def test_keycloak_resource_names_only_fields_the_operator_documents(
        keycloak: dict[str, Any]) -> None:
    spec = keycloak["spec"]
    unknown = set(spec) - set(KEYCLOAK_FIELDS)
    assert not unknown, f"not a field of the Keycloak resource: {sorted(unknown)}"
    for field, value in spec.items():
        allowed = KEYCLOAK_FIELDS[field]
        if allowed is not None:
            assert isinstance(value, dict) and set(value) <= allowed, field
    for option in spec["additionalOptions"]:
        assert set(option) <= {"name", "value", "secret"} and "name" in option, option


def test_issue11_keycloak_resource_uses_postgres_through_secret_references(
        keycloak: dict[str, Any]) -> None:
    db = keycloak["spec"]["db"]
    assert db["vendor"] == "postgres"
    assert db["database"] == "keycloak"
    for field in ("usernameSecret", "passwordSecret"):
        assert set(db[field]) == {"name", "key"}, field
    assert not {"username", "password", "url"} & set(db)  # credentials only by reference


def test_issue11_one_origin_for_keycloak_and_the_sidecar(
        keycloak: dict[str, Any], config: dict[str, str],
        manifests: dict[str, dict[str, Any]]) -> None:
    """Every node has the same hostname (the operator passes it to all), which is the ingress's
    host, and the sidecar's public URL is the same origin."""
    hostname = keycloak["spec"]["hostname"]
    ingress = one(manifests, "Ingress", "gerbang")
    (rule,) = ingress["spec"]["rules"]
    origin = f"https://{rule['host']}"
    assert hostname["hostname"] == config["KEYCLOAK_PUBLIC_URL"] == origin
    assert config["SIDECAR_PUBLIC_URL"] == origin
    assert hostname["admin"].startswith("https://") and hostname["admin"] != origin
    assert hostname["backchannelDynamic"] is True
    assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]


def test_issue11_keycloak_behind_the_proxy_like_compose(
        keycloak: dict[str, Any], compose_services: dict[str, Any]) -> None:
    spec = keycloak["spec"]
    assert spec["http"]["httpEnabled"] is True
    assert spec["proxy"]["headers"] == "xforwarded"
    assert spec["ingress"]["enabled"] is False  # ingress.yaml is the one origin
    options = {o["name"]: o.get("value") for o in spec["additionalOptions"]}
    assert options["proxy-trusted-addresses"]
    compose = compose_services["keycloak-1"]["environment"]
    # The same options as the compose nodes (KC_FOO__BAR_BAZ is the option foo--bar-baz).
    for variable in ("KC_CACHE_STACK", "KC_HEALTH_ENABLED", "KC_METRICS_ENABLED",
                     "KC_LOG_CONSOLE_OUTPUT", "KC_SPI_EVENTS_LISTENER__EMAIL__EXCLUDE_EVENTS"):
        option = variable.removeprefix("KC_").lower().replace("_", "-")
        assert options.get(option) == str(compose[variable]), option
    assert options["cache-stack"] == "jdbc-ping"
    assert options["log-console-output"] == "json"
    assert options["metrics-enabled"] == options["health-enabled"] == "true"
    assert options["spi-events-listener--email--exclude-events"] == EMAIL_LISTENER_EXCLUDES


def test_c6_keycloak_pods_get_every_variable_the_themes_read(
        keycloak: dict[str, Any], config: dict[str, str]) -> None:
    lines = [line for path in THEMES.rglob("theme.properties")
             for line in path.read_text(encoding="utf-8").splitlines()
             if not line.lstrip().startswith("#")]
    read = {name for line in lines for name in re.findall(r"\$\{env\.([A-Z0-9_]+)", line)}
    assert read
    (pod_container,) = keycloak["spec"]["unsupported"]["podTemplate"]["spec"]["containers"]
    env = {e["name"]: e for e in pod_container["env"]}
    assert read <= set(env)
    for name in read:
        assert env[name]["valueFrom"]["configMapKeyRef"]["key"] in config


def test_issue11_keycloak_disruption_budget_selects_the_operators_pods(
        keycloak: dict[str, Any], manifests: dict[str, dict[str, Any]]) -> None:
    pdb = one(manifests, "PodDisruptionBudget", "keycloak")
    # The labels the Keycloak Operator puts on the pods of a Keycloak resource.
    assert pdb["spec"]["selector"]["matchLabels"] == {
        "app": "keycloak", "app.kubernetes.io/instance": keycloak["metadata"]["name"]}
    assert pdb["spec"]["minAvailable"] == keycloak["spec"]["instances"] - 1


# ---- the sidecar ------------------------------------------------------------------------------

def test_issue11_sidecar_runs_two_gunicorn_replicas_with_the_compose_command(
        manifests: dict[str, dict[str, Any]], compose_services: dict[str, Any]) -> None:
    deployment = one(manifests, "Deployment", "gerbang-sidecar")
    assert deployment["spec"]["replicas"] == 2
    assert container(deployment, "sidecar")["command"] == compose_services["sidecar-1"]["command"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    outbox = one(manifests, "Deployment", "gerbang-sidecar-outbox")
    assert container(outbox, "outbox")["command"] == compose_services["sidecar-outbox"]["command"]


def test_issue11_sidecar_probes_call_its_real_health_endpoints(
        manifests: dict[str, dict[str, Any]]) -> None:
    from gerbang_sidecar.web import health

    app = Flask("probe-paths")
    health.init_app(app)
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    sidecar = container(one(manifests, "Deployment", "gerbang-sidecar"), "sidecar")
    ports = {p["name"]: p["containerPort"] for p in sidecar["ports"]}
    assert ports == {"http": 5000}
    readiness = sidecar["readinessProbe"]["httpGet"]
    liveness = sidecar["livenessProbe"]["httpGet"]
    assert readiness["path"] == "/internal/ready" and readiness["path"] in routes
    # Liveness never touches the database, so an outage does not restart every pod.
    assert liveness["path"] == "/health" and liveness["path"] in routes
    assert sidecar["startupProbe"]["httpGet"]["path"] == "/health"
    assert readiness["port"] in ports and liveness["port"] in ports


def test_issue11_our_pods_run_non_root_read_only_and_sized(
        manifests: dict[str, dict[str, Any]]) -> None:
    for workload in workloads(manifests):
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        for item in containers(workload):
            where = f"{name}/{item['name']}"
            security = item["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert {"cpu", "memory"} <= set(item["resources"]["requests"]), where
            assert "memory" in item["resources"]["limits"], where
            assert item["image"] == "gerbang", where  # kustomization.yaml's images: entry


def test_issue11_sidecar_processes_get_every_variable_they_read(
        manifests: dict[str, dict[str, Any]], config: dict[str, str]) -> None:
    wanted = set(documented_variables().values())
    for kind, workload, name in (("Deployment", "gerbang-sidecar", "sidecar"),
                                 ("Deployment", "gerbang-sidecar-outbox", "outbox"),
                                 ("Deployment", OCSP_DEPLOYMENT, "ocsp"),
                                 ("Job", "gerbang-sidecar-migrate", "ca-init")):
        item = container(one(manifests, kind, workload), name)
        missing = wanted - env_names(item, config)
        if name == "ocsp":
            assert missing == NOT_FOR_OCSP, sorted(missing ^ NOT_FOR_OCSP)
            continue
        assert not missing, f"{workload}/{name} lacks {sorted(missing)}"
        assert secret_refs(item)["DATABASE_URL"] == ("gerbang-sidecar", "DATABASE_URL")


def test_issue11_sidecar_pods_wait_for_their_migration_head(
        manifests: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    """The init container's loop ends at once on a database at head (here SQLite)."""
    from gerbang_sidecar.migrations import upgrade

    commands = {json.dumps(container(one(manifests, "Deployment", name),
                                     "wait-for-migrations")["command"])
                for name in ("gerbang-sidecar", "gerbang-sidecar-outbox", OCSP_DEPLOYMENT)}
    assert len(commands) == 1
    command = json.loads(commands.pop())
    assert command[:2] == ["python", "-c"]
    url = f"sqlite:///{tmp_path / 'sidecar.sqlite3'}"
    upgrade(url)
    done = subprocess.run([sys.executable, "-c", command[2]], env={**os.environ,
                          "DATABASE_URL": url}, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_issue11_autoscaler_scales_the_sidecar_from_two(
        manifests: dict[str, dict[str, Any]]) -> None:
    hpa = one(manifests, "HorizontalPodAutoscaler", "gerbang-sidecar")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "gerbang-sidecar"}
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_issue11_sidecar_service_and_disruption_budget_select_the_web_pods_only(
        manifests: dict[str, dict[str, Any]]) -> None:
    web = one(manifests, "Deployment", "gerbang-sidecar")
    web_labels = web["spec"]["template"]["metadata"]["labels"]
    others = [one(manifests, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
              for name in ("gerbang-sidecar-outbox", OCSP_DEPLOYMENT)]
    assert web["spec"]["selector"]["matchLabels"].items() <= web_labels.items()
    service = one(manifests, "Service", "gerbang-sidecar")
    pdb = one(manifests, "PodDisruptionBudget", "gerbang-sidecar")
    for selector in (service["spec"]["selector"], pdb["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= web_labels.items()
        for labels in others:
            assert not selector.items() <= labels.items()
    assert pdb["spec"]["maxUnavailable"] == 1
    assert service["spec"]["ports"][0]["targetPort"] == "http"


# ---- X6: the OCSP responder -------------------------------------------------------------------

def test_x6_ocsp_deployment_runs_the_compose_command_with_readiness_and_liveness(
        manifests: dict[str, dict[str, Any]], compose_services: dict[str, Any]) -> None:
    """Issue 11's production shape answers OCSP from pods of its own under granian, probed on
    the responder's real health endpoints and scraped on its own port."""
    from gerbang_sidecar.web import health

    app = Flask("probe-paths")
    health.init_app(app)  # the OCSP app's health pages are these (web.init_responder_app)
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    deployment = one(manifests, "Deployment", OCSP_DEPLOYMENT)
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    ocsp = container(deployment, "ocsp")
    command = compose_services["ocsp"]["command"]
    assert ocsp["command"] == command
    assert command[3] == "serve-ocsp"
    port = int(command[command.index("--bind") + 1].rpartition(":")[2])
    assert {p["name"]: p["containerPort"] for p in ocsp["ports"]} == {"http": port}
    readiness = ocsp["readinessProbe"]["httpGet"]
    liveness = ocsp["livenessProbe"]["httpGet"]
    assert readiness == {"path": "/internal/ready", "port": "http"}
    # Liveness never touches the database, so an outage does not restart every pod.
    assert liveness == {"path": "/health", "port": "http"}
    assert ocsp["startupProbe"]["httpGet"]["path"] == "/health"
    assert {readiness["path"], liveness["path"]} <= routes
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(port)
    # Its workers' metric files apart from the web workers', on its own /tmp (as in compose).
    web = container(one(manifests, "Deployment", "gerbang-sidecar"), "sidecar")
    directory = {e["name"]: e.get("value") for e in ocsp["env"]}["PROMETHEUS_MULTIPROC_DIR"]
    assert directory == compose_services["ocsp"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert directory != {e["name"]: e.get("value") for e in web["env"]}["PROMETHEUS_MULTIPROC_DIR"]
    # The root filesystem is read-only: the directory must be on a mounted volume.
    assert any(directory.startswith(m["mountPath"] + "/") for m in ocsp["volumeMounts"])


def test_x6_ocsp_service_budget_and_autoscaler_select_the_ocsp_pods_only(
        manifests: dict[str, dict[str, Any]]) -> None:
    ocsp = one(manifests, "Deployment", OCSP_DEPLOYMENT)
    labels = ocsp["spec"]["template"]["metadata"]["labels"]
    assert ocsp["spec"]["selector"]["matchLabels"].items() <= labels.items()
    others = [one(manifests, "Deployment", name)["spec"]["template"]["metadata"]["labels"]
              for name in ("gerbang-sidecar", "gerbang-sidecar-outbox")]
    service = one(manifests, "Service", OCSP_DEPLOYMENT)
    pdb = one(manifests, "PodDisruptionBudget", OCSP_DEPLOYMENT)
    for selector in (service["spec"]["selector"], pdb["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()
        for other in others:
            assert not selector.items() <= other.items()
    assert pdb["spec"]["maxUnavailable"] == 1
    (port,) = service["spec"]["ports"]
    assert port["name"] == "http" and port["targetPort"] == "http"
    hpa = one(manifests, "HorizontalPodAutoscaler", OCSP_DEPLOYMENT)
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": OCSP_DEPLOYMENT}
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_x6_ingress_sends_ocsp_to_the_responder_and_the_rest_of_pki_to_the_sidecar(
        manifests: dict[str, dict[str, Any]]) -> None:
    from gerbang_sidecar.web import pki_ocsp

    main = one(manifests, "Ingress", "gerbang")
    (rule,) = main["spec"]["rules"]
    paths = {p["path"]: p for p in rule["http"]["paths"]}
    limited = one(manifests, "Ingress", "gerbang-ocsp")
    (ocsp_rule,) = limited["spec"]["rules"]
    assert (ocsp_rule["host"], limited["spec"]["tls"]) == (rule["host"], main["spec"]["tls"])
    # Each answer with a nonce is signed: 50 a second per address, a burst of 100, as
    # compose's proxy (deploy/proxy/nginx.conf, tested in tests/integration/proxy).
    annotations = limited["metadata"]["annotations"]
    assert (annotations["nginx.ingress.kubernetes.io/limit-rps"],
            annotations["nginx.ingress.kubernetes.io/limit-burst-multiplier"]) == ("50", "2")
    (ocsp,) = ocsp_rule["http"]["paths"]
    assert ocsp["path"] == pki_ocsp.PATH
    # Prefix matches whole path elements: /pki/ocsp and /pki/ocsp/<base64>, not /pki/ocspx.
    assert ocsp["pathType"] == "Prefix"
    backend = ocsp["backend"]["service"]
    service = one(manifests, "Service", backend["name"])
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert service["spec"]["selector"].items() <= one(
        manifests, "Deployment", OCSP_DEPLOYMENT)["spec"]["template"]["metadata"]["labels"].items()
    # The CRL, the CA certificate and the time-stamp authority stay with the sidecar.
    assert [p for p in paths if p.startswith("/pki")] == []
    assert paths["/"]["backend"]["service"]["name"] == "gerbang-sidecar"


def test_x6_certificate_status_is_served_over_plain_http_where_certificates_say(
        manifests: dict[str, dict[str, Any]], config: dict[str, str]) -> None:
    """Certificates name http://<host>/pki/... (PKI_PUBLIC_URL; RFC 5280 4.2.1.13): the CRL,
    the CA certificate and OCSP skip the controller's https redirect, nothing else does."""
    from gerbang_sidecar.web import pki_ocsp

    host = config["SIDECAR_PUBLIC_URL"].removeprefix("https://")
    assert config["PKI_PUBLIC_URL"] == f"http://{host}"
    redirect = "nginx.ingress.kubernetes.io/ssl-redirect"
    plain = {m["metadata"]["name"]: m for m in manifests.values()
             if m["kind"] == "Ingress" and m["metadata"]["annotations"].get(redirect) == "false"}
    assert set(plain) == {"gerbang-pki", "gerbang-ocsp"}
    (rule,) = plain["gerbang-pki"]["spec"]["rules"]
    assert rule["host"] == host
    assert {(p["path"], p["pathType"], p["backend"]["service"]["name"])
            for p in rule["http"]["paths"]} == {
        ("/pki/issuing-ca.crl", "Exact", "gerbang-sidecar"),
        ("/pki/issuing-ca.crt", "Exact", "gerbang-sidecar")}
    ((ocsp,),) = [r["http"]["paths"] for r in plain["gerbang-ocsp"]["spec"]["rules"]]
    assert ocsp["path"] == pki_ocsp.PATH


def test_issue2_readiness_and_metrics_are_refused_at_the_edge_as_by_compose(
        manifests: dict[str, dict[str, Any]], make_settings: Callable[..., Settings]) -> None:
    """Compose's proxy answers 404 for /internal/ and /metrics; the Ingress lets only
    loopback through for them, which no client is."""
    main = one(manifests, "Ingress", "gerbang")
    internal = one(manifests, "Ingress", "gerbang-internal")
    (rule,) = internal["spec"]["rules"]
    assert (rule["host"], internal["spec"]["tls"]) == (main["spec"]["rules"][0]["host"],
                                                       main["spec"]["tls"])
    assert internal["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/whitelist-source-range"] == "127.0.0.1/32"
    assert {(p["path"], p["pathType"]) for p in rule["http"]["paths"]} == {
        ("/internal", "Prefix"), ("/metrics", "Prefix")}
    # The same paths the sidecar serves them on.
    from gerbang_sidecar.app import create_app

    routes = {r.rule for r in create_app(make_settings()).url_map.iter_rules()}
    assert {"/internal/ready", "/metrics"} <= routes


# ---- jobs --------------------------------------------------------------------------------------

def test_issue11_provisioning_job_runs_provision_apply_with_every_placeholder(
        manifests: dict[str, dict[str, Any]], config: dict[str, str],
        keycloak: dict[str, Any], compose_services: dict[str, Any]) -> None:
    job = one(manifests, "Job", "gerbang-provision")
    item = container(job, "provision")
    assert item["command"] == compose_services["provision"]["command"]
    assert pod_spec(job)["restartPolicy"] == "Never" and job["spec"]["backoffLimit"] >= 5
    placeholders = environment_variables(REALM_CONFIG)
    missing = (placeholders | {"KEYCLOAK_URL", "KEYCLOAK_ADMIN_USER",
                               "KEYCLOAK_ADMIN_PASSWORD"}) - env_names(item, config)
    assert not missing, f"provisioning lacks {sorted(missing)}"
    # The admin the operator creates, and Keycloak through the operator's Service.
    refs = secret_refs(item)
    assert refs["KEYCLOAK_ADMIN_USER"] == ("keycloak-initial-admin", "username")
    assert refs["KEYCLOAK_ADMIN_PASSWORD"] == ("keycloak-initial-admin", "password")
    assert config["KEYCLOAK_URL"] == f"http://{keycloak['metadata']['name']}-service:8080"


def test_issue11_migration_job_migrates_as_owner_then_makes_the_ca(
        manifests: dict[str, dict[str, Any]], compose_services: dict[str, Any]) -> None:
    job = one(manifests, "Job", "gerbang-sidecar-migrate")
    (migrate,) = pod_spec(job)["initContainers"]
    (ca_init,) = pod_spec(job)["containers"]
    assert migrate["command"] == compose_services["sidecar-migrate"]["command"]
    assert secret_refs(migrate) == {"DATABASE_URL": ("gerbang-sidecar", "OWNER_DATABASE_URL")}
    assert ca_init["command"] == compose_services["sidecar-ca-init"]["command"]
    # Idempotent jobs that clean up after themselves, so the next apply runs them again.
    for name in ("gerbang-sidecar-migrate", "gerbang-provision"):
        assert one(manifests, "Job", name)["spec"]["ttlSecondsAfterFinished"] > 0


# ---- the one origin ----------------------------------------------------------------------------

def test_issue11_ingress_routes_keycloak_public_paths_and_the_sidecar(
        manifests: dict[str, dict[str, Any]], keycloak: dict[str, Any]) -> None:
    ingress = one(manifests, "Ingress", "gerbang")
    (rule,) = ingress["spec"]["rules"]
    backends = {p["path"]: (p["pathType"], p["backend"]["service"]["name"],
                            p["backend"]["service"]["port"])
                for p in rule["http"]["paths"]}
    keycloak_service = f"{keycloak['metadata']['name']}-service"
    # The portal realms by name: any other /realms/ path (the master realm's, whose login is
    # on the admin host only) goes to the sidecar, which 404s it.
    realms = [f"/realms/{p.name}" for p in (ROOT / "realm-config").iterdir()
              if p.is_dir() and not p.name.startswith("_")]
    for path in (*realms, "/resources", "/.well-known"):
        assert backends[path] == ("Prefix", keycloak_service, {"number": 8080}), path
    assert backends["/"] == ("Prefix", "gerbang-sidecar", {"name": "http"})
    # Nothing reaches Keycloak's admin paths or the management port through the ingress.
    assert set(backends) == {*realms, "/resources", "/.well-known", "/"}
    assert ingress["spec"]["tls"][0]["secretName"] == "gerbang-tls"


# ---- secrets ------------------------------------------------------------------------------------

def documented_secrets() -> dict[str, set[str]]:
    """Secret -> keys, from the table in deploy/kubernetes/README.md."""
    rows = re.findall(r"^\s*\|\s*`([a-z0-9-]+)`\s*\|(.*)\|\s*$",
                      (K8S / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
    return {name: set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", keys)) for name, keys in rows}


def test_issue11_no_secret_value_is_written_in_the_manifests(
        manifests: dict[str, dict[str, Any]], config: dict[str, str]) -> None:
    assert not [m for m in manifests.values() if m["kind"] == "Secret"]
    for key, value in config.items():
        assert not SECRET_WORDS & set(key.split("_")), f"ConfigMap holds {key}"
        assert not re.search(r"://[^/@\s]+:[^/@\s]+@", value), f"credentials in {key}"
    for workload in workloads(manifests):
        for item in containers(workload):
            for entry in item.get("env") or []:
                where = f"{workload['metadata']['name']}/{item['name']}.{entry['name']}"
                if SECRET_WORDS & set(entry["name"].split("_")) or entry["name"].endswith(
                        "DATABASE_URL") or entry["name"] == "SMTP_USER":
                    assert "value" not in entry, where
                    assert entry["valueFrom"]["secretKeyRef"], where


def test_issue11_every_secret_referenced_is_documented_for_the_operator(
        manifests: dict[str, dict[str, Any]], keycloak: dict[str, Any]) -> None:
    documented = documented_secrets()
    used: set[tuple[str, str]] = set()
    for workload in workloads(manifests):
        for item in containers(workload):
            used |= set(secret_refs(item).values())
    db = keycloak["spec"]["db"]
    used |= {(db[f]["name"], db[f]["key"]) for f in ("usernameSecret", "passwordSecret")}
    undocumented = {(s, k) for s, k in used if k not in documented.get(s, set())}
    assert not undocumented, f"list these in deploy/kubernetes/README.md: {sorted(undocumented)}"
    tls = one(manifests, "Ingress", "gerbang")["spec"]["tls"][0]["secretName"]
    assert tls in documented


def test_every_configmap_key_is_documented(config: dict[str, str]) -> None:
    rows = set(re.findall(r"^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|",
                          CONFIG_DOC.read_text(encoding="utf-8"), flags=re.MULTILINE))
    missing = set(config) - rows
    assert not missing, f"document these in docs/configuration.md: {sorted(missing)}"


# ---- network policies -------------------------------------------------------------------------

def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(labels.get(e["key"]) in e["values"]
               for e in selector.get("matchExpressions") or [])


def _allowed(policies: list[dict[str, Any]], labels: dict[str, str], port: int,
             source: dict[str, str]) -> bool:
    """Would a pod with ``labels`` take a connection on ``port`` from ``source``: a pod's
    labels plus ``namespace`` (ours: "gerbang")?"""
    namespace = source.get("namespace", "gerbang")
    for policy in policies:
        if not _selects(policy, labels):
            continue
        for rule in policy["spec"].get("ingress") or []:
            ports = {p["port"] for p in rule.get("ports") or []}
            if ports and port not in ports:
                continue
            for peer in rule.get("from") or []:
                if "namespaceSelector" in peer:
                    wanted = peer["namespaceSelector"]["matchLabels"]
                    if wanted == {"kubernetes.io/metadata.name": namespace}:
                        return True
                elif namespace == "gerbang" and _selects({"spec": peer}, source):
                    return True
    return False


def test_issue11_network_policies_let_in_only_what_each_pod_serves(
        manifests: dict[str, dict[str, Any]]) -> None:
    policies = [m for m in manifests.values() if m["kind"] == "NetworkPolicy"]
    deny = one(manifests, "NetworkPolicy", "default-deny-ingress")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    web = {"app.kubernetes.io/name": "gerbang-sidecar", "app.kubernetes.io/component": "web"}
    ocsp = {**web, "app.kubernetes.io/component": "ocsp"}
    outbox = {**web, "app.kubernetes.io/component": "outbox"}
    provision = {"app.kubernetes.io/name": "gerbang-provision"}
    keycloak = {"app": "keycloak", "app.kubernetes.io/instance": "keycloak"}
    ingress, monitoring = {"namespace": "ingress-nginx"}, {"namespace": "monitoring"}
    stranger = {"app": "something-else"}
    # The pages and OCSP: from the ingress controller and monitoring only.
    for pod, port in ((web, 5000), (ocsp, 5001)):
        assert _allowed(policies, pod, port, ingress) and _allowed(policies, pod, port, monitoring)
        assert not _allowed(policies, pod, port, stranger)
        assert not _allowed(policies, pod, port, {"namespace": "default"})
    assert not any(_allowed(policies, outbox, 5000, s) for s in (ingress, monitoring, stranger))
    # Keycloak's HTTP port: the ingress controller and our callers; its management port:
    # monitoring; JGroups: the other Keycloak pods.
    for caller in (web, outbox, provision, ingress):
        assert _allowed(policies, keycloak, 8080, caller), caller
    for outsider in (stranger, ocsp, {"namespace": "default"},
                     {**web, "app.kubernetes.io/component": "migrate"}):
        assert not _allowed(policies, keycloak, 8080, outsider), outsider
    assert _allowed(policies, keycloak, 9000, monitoring)
    assert not _allowed(policies, keycloak, 9000, web) and not _allowed(
        policies, keycloak, 9000, ingress)
    assert _allowed(policies, keycloak, 7800, keycloak)
    assert not _allowed(policies, keycloak, 7800, web)


def test_x2_keycloaks_own_reset_pages_are_rate_limited_on_the_ingress_too(
        manifests: dict[str, dict[str, Any]], keycloak: dict[str, Any]) -> None:
    main, limited = (one(manifests, "Ingress", n) for n in ("gerbang", "gerbang-keycloak-reset"))
    assert limited["metadata"]["annotations"]["nginx.ingress.kubernetes.io/limit-rpm"] == "10"
    assert limited["spec"]["rules"][0]["host"] == main["spec"]["rules"][0]["host"]
    assert limited["spec"]["tls"] == main["spec"]["tls"]
    realms = sorted(p.name for p in (ROOT / "realm-config").iterdir()
                    if p.is_dir() and not p.name.startswith("_"))
    paths = limited["spec"]["rules"][0]["http"]["paths"]
    assert [p["path"] for p in paths] == [
        f"/realms/{r}/login-actions/reset-credentials" for r in realms]
    service = f"{keycloak['metadata']['name']}-service"
    assert all(p["backend"]["service"] == {"name": service, "port": {"number": 8080}}
               and p["pathType"] == "Prefix" for p in paths)


def test_x3_no_ingress_writes_the_controllers_access_log(
        manifests: dict[str, dict[str, Any]]) -> None:
    """ingress-nginx's default access log holds the request line with its query string:
    Keycloak's action tokens, OIDC codes, an officer's search by NIK. Compose's proxy logs
    without them; the controller's format is the cluster's, so our Ingresses log nothing
    (deploy/kubernetes/README.md says how to get a safe edge log back)."""
    ingresses = [m for m in manifests.values() if m["kind"] == "Ingress"]
    assert len(ingresses) == 5
    for ingress in ingresses:
        annotations = ingress["metadata"]["annotations"]
        assert annotations["nginx.ingress.kubernetes.io/enable-access-log"] == "false", (
            ingress["metadata"]["name"])
