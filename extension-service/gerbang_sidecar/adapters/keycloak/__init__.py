"""Keycloak, as the sidecar sees it: the user-admin port (ports/keycloak.py) over the Admin
REST API (``http``) and its in-memory twin (``fake``)."""
