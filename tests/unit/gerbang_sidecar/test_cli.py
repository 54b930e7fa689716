"""``python -m gerbang_sidecar init | outbox | serve-ocsp``: the explicit steps that create_app
takes as side effects (local secrets, migrations), and the outbox worker's process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gerbang_sidecar.app import create_app
from gerbang_sidecar.cli import main
from gerbang_sidecar.config import Settings
from gerbang_sidecar.migrations import current_revision, head_revision
from gerbang_sidecar.wiring import build_services


def test_init_writes_local_secrets_and_migrates_once(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GERBANG_INSTANCE_PATH", str(tmp_path))
    assert main(["init"]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.secret")) == [
        "blind_index_key.secret", "ca_key.secret", "pii_key.secret", "secret_key.secret"]
    assert current_revision(f"sqlite:///{tmp_path / 'gerbang.sqlite3'}") == head_revision()
    secret = (tmp_path / "secret_key.secret").read_text()
    assert main(["init"]) == 0  # again: nothing changes
    assert (tmp_path / "secret_key.secret").read_text() == secret
    assert "database at" in capsys.readouterr().out


def test_x3_the_local_database_file_is_owner_only_like_its_keys(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GERBANG_INSTANCE_PATH", str(tmp_path))
    assert main(["init"]) == 0
    for path in (tmp_path / "gerbang.sqlite3", tmp_path / "pii_key.secret"):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_housekeeping_forgets_pending_registrations_after_their_day(
        make_settings: Callable[..., Settings]) -> None:
    from support.akses_registrations import SITI, confirm
    from support.clock import FakeClock

    clock = FakeClock()
    services = build_services(make_settings(keycloak_backend="fake", registry_backend="fake",
                                            mail_backend="memory"), clock=clock)
    confirm(services.akses_registration, SITI)
    assert services.housekeeping()["pending_registrations"] == 0
    clock.advance(hours=24, seconds=1)
    assert services.housekeeping() == {"pending_registrations": 1, "unactivated_accounts": 0,
                                       "portal_logins": 0, "spent_captcha_puzzles": 0}
    assert services.housekeeping()["pending_registrations"] == 0
    services.close()


def test_init_refuses_production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GERBANG_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    monkeypatch.setenv("SIDECAR_PUBLIC_URL", "https://portal.example.go.id")
    with pytest.raises(Exception, match="init is for local runs"):
        main(["init"])
    assert list(tmp_path.iterdir()) == []


def test_outbox_entry_delivers_one_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("GERBANG_INSTANCE_PATH", str(tmp_path))
    main(["init"])
    assert main(["outbox", "--once"]) == 0
    assert "sent=0 retried=0 dead=0" in capsys.readouterr().out


def test_worker_knows_every_kind(make_settings: Callable[..., Settings]) -> None:
    kinds = set(build_services(make_settings()).outbox_worker()._handlers)
    assert {"one_time_code.email", "password_reset.requested", "password_reset.sms_link",
            "password_changed.notice"} <= kinds


def test_creating_an_app_starts_no_thread_and_writes_nothing(
        make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    import threading

    before = {t.name for t in threading.enumerate()}
    app = create_app(make_settings(outbox_in_process=False))
    app.test_client().get("/health")
    assert "gerbang-outbox" not in {t.name for t in threading.enumerate()} - before
    assert not (tmp_path / "instance").exists()


def test_x1_reindex_identities_reads_every_account_into_the_index(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 11 item 4: after a Keycloak restore, what no admin event recorded.
    monkeypatch.setenv("GERBANG_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("KEYCLOAK_BACKEND", "fake")
    main(["init"])
    assert main(["reindex-identities", "--realm", "akses", "--realm", "oss"]) == 0
    out = capsys.readouterr().out
    assert "akses: 0 account(s) read into the identity index" in out
    assert "oss: 0 account(s)" in out and "bsre" not in out


def test_x6_serve_ocsp_takes_host_port_and_refuses_anything_else(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    served: list[dict[str, object]] = []
    monkeypatch.setattr("gerbang_sidecar.cli.serve_ocsp", lambda **kw: served.append(kw))
    assert main(["serve-ocsp", "--bind", "0.0.0.0:5001", "--workers", "0"]) == 0
    assert served == [{"host": "0.0.0.0", "port": 5001, "workers": 1,  # noqa: S104
                       "blocking_threads": 2}]
    for wrong in ("5001", "host:", "host:port"):
        with pytest.raises(SystemExit):
            main(["serve-ocsp", "--bind", wrong])
        assert "host:port" in capsys.readouterr().err
