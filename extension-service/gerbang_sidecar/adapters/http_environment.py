"""Outgoing HTTP reads its proxy and CA settings from the environment once, not per request.

requests looks at the environment (HTTP(S)_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE, .netrc) on
every request, which cost the sidecar several milliseconds of CPU per registration. Each of
our sessions talks to one base URL, so the answer is taken once when the session is built and
the session stops asking.
"""

from __future__ import annotations

import os

import requests
from requests.utils import get_environ_proxies


def ca_bundle() -> str | bool:
    """requests' ``verify``: the CA bundle the environment names, else the default store."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def read_environment_once(session: requests.Session, base_url: str) -> requests.Session:
    """Callers that pass ``verify`` on each request (python-keycloak does) must pass
    :func:`ca_bundle` themselves: a per-request value wins over the session's."""
    session.proxies.update(get_environ_proxies(base_url))
    session.verify = ca_bundle()
    session.trust_env = False
    return session
