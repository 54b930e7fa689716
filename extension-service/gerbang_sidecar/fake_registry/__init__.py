"""A fake of the government registries and the message gateway, served over real HTTP."""

from gerbang_sidecar.fake_registry.app import create_fake_registry_app
from gerbang_sidecar.fake_registry.seed import FakeRegistries, build_fake_registries
from gerbang_sidecar.fake_registry.server import running_fake_registry

__all__ = [
    "FakeRegistries",
    "build_fake_registries",
    "create_fake_registry_app",
    "running_fake_registry",
]
