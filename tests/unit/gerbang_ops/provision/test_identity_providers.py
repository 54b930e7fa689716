"""Identity providers added by hand are reported (issue 2); a provisioner bootstrapped before
it could see them says how to fix that instead of failing the whole plan."""

from __future__ import annotations

from typing import Any

import pytest

from gerbang_ops.provision import identity_providers
from gerbang_ops.provision.files import RealmSpec
from gerbang_ops.provision.keycloak_api import ApiError

SPEC = RealmSpec(name="oss", settings={"realm": "oss"})


class _Api:
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def get(self, path: str, **_query: str) -> Any:
        assert path == "/oss/identity-provider/instances"
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_issue2_each_provider_is_reported_none_removed() -> None:
    changes = identity_providers.plan(_Api([{"alias": "b"}, {"alias": "a"}]),  # type: ignore[arg-type]
                                      SPEC, exists=True)
    assert [(c.name, c.action) for c in changes] == [("a", "keep"), ("b", "keep")]
    assert identity_providers.plan(_Api([]), SPEC, exists=True) == []  # type: ignore[arg-type]
    assert identity_providers.plan(_Api(None), SPEC, exists=False) == []  # type: ignore[arg-type]


def test_issue2_an_older_provisioner_is_told_to_bootstrap_again() -> None:
    [change] = identity_providers.plan(_Api(ApiError("no", status=403)),  # type: ignore[arg-type]
                                       SPEC, exists=True)
    assert change.action == "keep" and "bootstrap-provisioner" in change.describe()
    with pytest.raises(ApiError):
        identity_providers.plan(_Api(ApiError("down", status=502)), SPEC, exists=True)  # type: ignore[arg-type]
