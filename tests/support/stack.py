"""Addresses the test suite gives the pieces it does not start itself."""

# The sidecar's public URL as the realms see it (redirect URIs); tests that need a running
# sidecar start one and point this at it instead.
SIDECAR_URL = "http://127.0.0.1:5999"
