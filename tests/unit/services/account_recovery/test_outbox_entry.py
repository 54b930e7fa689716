"""``python -m gerbang_sidecar.outbox`` runs the worker with every handler registered."""

from __future__ import annotations

from pathlib import Path

import pytest

from gerbang_sidecar.app import create_app
from gerbang_sidecar.outbox import build_worker, start_in_process
from gerbang_sidecar.outbox.__main__ import main


def test_outbox_entry_delivers_one_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GERBANG_INSTANCE_PATH", str(tmp_path))
    assert main(["--once"]) == 0
    assert "sent=0 retried=0 dead=0" in capsys.readouterr().out


def test_worker_knows_every_kind_and_tests_get_no_thread(tmp_path: Path) -> None:
    app = create_app({"instance_path": tmp_path})
    kinds = set(build_worker(app)._handlers)
    assert {"one_time_code.email", "password_reset.requested", "password_reset.sms_link",
            "password_changed.notice"} <= kinds
    app.config["TESTING"] = True
    assert start_in_process(app) is None
