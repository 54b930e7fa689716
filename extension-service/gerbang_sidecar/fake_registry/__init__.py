"""A fake of the government registries and the message gateway, served over real HTTP.

It answers from the in-memory twins of ``adapters/registries/fakes.py``, loaded from
``seed.json`` (docs/registries.md). ``python -m gerbang_sidecar.fake_registry`` serves it.
"""

from gerbang_sidecar.fake_registry.app import create_fake_registry_app
from gerbang_sidecar.fake_registry.server import running_fake_registry

__all__ = ["create_fake_registry_app", "running_fake_registry"]
