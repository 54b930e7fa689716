"""Issue 11 item 2, the Keycloak half: two production-mode nodes on one PostgreSQL are one
Keycloak. Both see a cluster of two; a login made on node A is honoured on node B without a
login form; node A dies in the middle of a portal's journey and the user goes on through node
B without logging in again (R9).

The "browser" is support.routed_session's: requests for the cluster's public address go to
the node the test picks, as a load balancer sends them. The portal's server side (code
exchange, refresh, userinfo) talks to a node's own URL, as a sidecar next to it would.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import signal
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests

from gerbang_ops.keycloak.distribution import ensure_built
from gerbang_ops.keycloak.production import PRODUCTION_BUILD_OPTIONS, KeycloakCluster
from gerbang_ops.provision.keycloak_api import KeycloakApi
from support.forms import form
from support.routed_session import RoutedSession

REALM = "akses"
CLIENT = "akses-portal"
PASSWORD = "Kluster#Kuat2025"
# Generous: the machine may be busy; nothing here is timed.
TIMEOUT = 120


@dataclass
class Portal:
    """The server side of the AKSes portal: its client and callback."""

    client_id: str
    secret: str
    redirect_uri: str


@pytest.fixture
def portal(cluster_realm_env: dict[str, str], cluster_sidecar_url: str) -> Portal:
    return Portal(CLIENT, cluster_realm_env["AKSES_PORTAL_CLIENT_SECRET"],
                  f"{cluster_sidecar_url}/akses/oidc/callback")


@pytest.fixture
def investor(cluster_admin_api: KeycloakApi) -> str:
    email = f"kluster{uuid.uuid4().hex[:10]}@example.test"
    cluster_admin_api.post(f"/{REALM}/users", {
        "username": email, "email": email, "emailVerified": True, "enabled": True,
        "firstName": "Budi Santoso", "groups": ["/investor"],
        "credentials": [{"type": "password", "value": PASSWORD, "temporary": False}]})
    return email


class Authorization:
    """One authorization-code request with PKCE, as the portal starts it in the browser."""

    def __init__(self, browser: RoutedSession, public_url: str, portal: Portal):
        self.browser = browser
        self.portal = portal
        self.verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(self.verifier.encode()).digest()).rstrip(b"=").decode()
        self.state = secrets.token_hex(8)
        query = urlencode({
            "client_id": portal.client_id, "redirect_uri": portal.redirect_uri,
            "response_type": "code", "scope": "openid", "state": self.state,
            "code_challenge": challenge, "code_challenge_method": "S256", "ui_locales": "id"})
        self.response = self._follow(browser.get(
            f"{public_url}/realms/{REALM}/protocol/openid-connect/auth?{query}",
            allow_redirects=False, timeout=TIMEOUT))

    def _follow(self, response: requests.Response) -> requests.Response:
        """Follow Keycloak's redirects; stop at the one back to the portal."""
        while response.is_redirect:
            location = response.headers["Location"]
            if location.startswith(self.portal.redirect_uri):
                break
            response = self.browser.get(location, allow_redirects=False, timeout=TIMEOUT)
        return response

    @property
    def shows_login_form(self) -> bool:
        return self.response.status_code == 200 and 'id="kc-form-login"' in self.response.text

    def log_in(self, username: str, password: str) -> None:
        assert self.shows_login_form, self.response.text[:500]
        login = form(self.response.text, "kc-form-login")
        self.response = self._follow(self.browser.post(
            login.action, data={**login.fields, "username": username, "password": password},
            allow_redirects=False, timeout=TIMEOUT))

    @property
    def code(self) -> str:
        """The authorization code of the redirect back to the portal (it must be one)."""
        assert self.response.is_redirect, (self.response.status_code, self.response.text[:500])
        query = parse_qs(urlparse(self.response.headers["Location"]).query)
        assert query.get("state") == [self.state]
        return query["code"][0]


def redeem(node_url: str, portal: Portal, authorization: Authorization) -> dict[str, str]:
    """The portal's back-channel code exchange at one node."""
    response = requests.post(f"{node_url}/realms/{REALM}/protocol/openid-connect/token", data={
        "grant_type": "authorization_code", "code": authorization.code,
        "redirect_uri": portal.redirect_uri, "code_verifier": authorization.verifier,
        "client_id": portal.client_id, "client_secret": portal.secret}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


def claims(token: str) -> dict[str, str]:
    """A JWT's payload, read only for the session and issuer it names (the node that issued
    it signed it; the node that refreshed it checked the signature)."""
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    decoded: dict[str, str] = json.loads(base64.urlsafe_b64decode(padded))
    return decoded


def test_both_nodes_see_a_cluster_of_two_behind_one_issuer(
        keycloak_cluster: KeycloakCluster) -> None:
    names = sorted(node.node_name for node in keycloak_cluster.nodes)
    assert names == ["node-1", "node-2"]
    for node in keycloak_cluster.nodes:
        # The view each node logged last (ISPN000094): both members, found through PostgreSQL.
        assert sorted(node.cluster_members()) == names, node.log_tail()
        management = f"http://127.0.0.1:{node.management_port}"
        assert requests.get(f"{management}/health/ready", timeout=TIMEOUT).status_code == 200
        # Built with --metrics-enabled: the management interface exports them.
        metrics = requests.get(f"{management}/metrics", timeout=TIMEOUT)
        assert metrics.status_code == 200 and "jvm_" in metrics.text
        discovery = requests.get(
            f"{node.url}/realms/{REALM}/.well-known/openid-configuration", timeout=TIMEOUT)
        # One issuer for both nodes, or a login on one would not hold on the other.
        assert discovery.json()["issuer"] == f"{keycloak_cluster.public_url}/realms/{REALM}"


def test_r9_a_login_on_node_a_is_honoured_silently_on_node_b(
        keycloak_cluster: KeycloakCluster, portal: Portal, investor: str) -> None:
    node_a, node_b = keycloak_cluster.nodes
    browser = RoutedSession(keycloak_cluster.public_url, node_a.url)

    on_a = Authorization(browser, keycloak_cluster.public_url, portal)
    assert on_a.shows_login_form  # our themed login page, served by node A
    on_a.log_in(investor, PASSWORD)
    session_on_a = claims(redeem(node_a.url, portal, on_a)["id_token"])["sid"]
    # Issue 11 item 5: the runtime options of the compose file give the dashboard its
    # latency histogram and its login counter.
    metrics = requests.get(f"http://127.0.0.1:{node_a.management_port}/metrics",
                           timeout=TIMEOUT).text
    assert "http_server_requests_seconds_bucket{" in metrics
    assert any(line.startswith("keycloak_user_events_total{") and 'event="login"' in line
               and f'realm="{REALM}"' in line for line in metrics.splitlines())

    browser.route_to(node_b.url)
    on_b = Authorization(browser, keycloak_cluster.public_url, portal)
    assert not on_b.shows_login_form  # straight back to the portal with a code
    tokens = redeem(node_b.url, portal, on_b)
    id_token = claims(tokens["id_token"])
    assert id_token["sid"] == session_on_a
    assert id_token["iss"] == f"{keycloak_cluster.public_url}/realms/{REALM}"
    assert {backend for backend, _path in browser.routed} == {node_a.url, node_b.url}


def test_r9_node_a_dies_mid_journey_and_the_user_goes_on_through_node_b(
        keycloak_cluster: KeycloakCluster, portal: Portal, investor: str) -> None:
    node_a, node_b = keycloak_cluster.nodes
    browser = RoutedSession(keycloak_cluster.public_url, node_a.url)
    login = Authorization(browser, keycloak_cluster.public_url, portal)
    login.log_in(investor, PASSWORD)
    tokens = redeem(node_a.url, portal, login)
    session = claims(tokens["id_token"])["sid"]
    # The portal sends the user through Keycloak again (another page, a second tab): node A
    # answers with a code, and dies before the portal has redeemed it.
    pending = Authorization(browser, keycloak_cluster.public_url, portal)
    assert not pending.shows_login_form
    pending.code  # noqa: B018 - the redirect back carries a code

    node_a.stop(sig=signal.SIGKILL)  # a crash: no orderly hand-over of its caches

    # The balancer sends the user to node B; the portal's back channel goes there too.
    browser.route_to(node_b.url)
    redeemed = redeem(node_b.url, portal, pending)
    assert claims(redeemed["id_token"])["sid"] == session
    refreshed = requests.post(
        f"{node_b.url}/realms/{REALM}/protocol/openid-connect/token", data={
            "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
            "client_id": portal.client_id, "client_secret": portal.secret}, timeout=TIMEOUT)
    assert refreshed.status_code == 200, refreshed.text
    assert claims(refreshed.json()["id_token"])["sid"] == session

    again = Authorization(browser, keycloak_cluster.public_url, portal)
    assert not again.shows_login_form  # no second login
    userinfo = requests.get(
        f"{node_b.url}/realms/{REALM}/protocol/openid-connect/userinfo", timeout=TIMEOUT,
        headers={"Authorization": f"Bearer {redeem(node_b.url, portal, again)['access_token']}"})
    assert userinfo.status_code == 200 and userinfo.json()["email"] == investor


def test_issue11_running_nodes_write_nothing_into_their_distribution(
        keycloak_cluster: KeycloakCluster, portal: Portal, investor: str) -> None:
    """Why docker-compose.yml can run Keycloak on a read-only root with only data/ and /tmp
    writable: nodes that started, clustered and served logins changed no file of the built
    distribution (their transaction logs go to data/, here each node's own folder)."""
    node = next(n for n in keycloak_cluster.nodes if n.running)
    login = Authorization(RoutedSession(keycloak_cluster.public_url, node.url),
                          keycloak_cluster.public_url, portal)
    login.log_in(investor, PASSWORD)
    redeem(node.url, portal, login)
    home = ensure_built(PRODUCTION_BUILD_OPTIONS)
    built_at = (home / ".gerbang-built").stat().st_mtime
    changed = [str(path.relative_to(home)) for path in home.rglob("*")
               if path.stat().st_mtime > built_at]
    assert changed == []
