"""The Keycloak server we run: its pinned version, download and process."""

# The one place the Keycloak version is pinned. docker-compose.yml's image tag is checked
# against it by tests/unit/deploy/test_docker_compose.py.
KEYCLOAK_VERSION = "26.7.3"
# The distribution zip's SHA-256, by version: checked before a download is unpacked, so a
# mirror or a cache that serves other bytes is refused (Maven's own check compares with a
# checksum from the same server). Taken from a download whose SHA-1 matched Maven Central's
# published one; a version bump adds its line after the same check.
ARCHIVE_SHA256 = {
    "26.7.3": "27a6535553c3cdcd083872ba40629efafb3475e3b758e0c6f691395561dd0f1f",
}
