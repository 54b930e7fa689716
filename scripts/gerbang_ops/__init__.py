"""Gerbang operations: Keycloak runtime, realm provisioning, local stack and importers."""
