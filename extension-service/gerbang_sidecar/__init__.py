"""Gerbang sidecar: the identity checks Keycloak cannot do without Java."""

from gerbang_sidecar.app import create_app

__all__ = ["create_app"]
