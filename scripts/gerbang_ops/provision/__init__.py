"""Realms as code: validate, plan and apply realm-config/ against a live Keycloak."""
