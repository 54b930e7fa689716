"""The Keycloak server we run: its pinned version, download and process."""

# The one place the Keycloak version is pinned. docker-compose.yml's image tag is checked
# against it by tests/unit/deploy/test_docker_compose.py.
KEYCLOAK_VERSION = "26.7.3"
