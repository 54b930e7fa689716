"""Gerbang sidecar: the identity checks Keycloak cannot do without Java.

Start at ``app.create_app`` (the Flask app) and ``wiring.build_services`` (what it is made
of); docs/architecture.md draws the layers.
"""
