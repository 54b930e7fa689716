"""Migrations from empty, models in step with them, X4 append-only audit trail, and what
reaches the trail and the logs (X3)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, delete, inspect, text, update
from sqlalchemy.exc import DatabaseError, SQLAlchemyError

from gerbang_sidecar.adapters.storage.engine import AppendOnlyViolation, Storage
from gerbang_sidecar.adapters.storage.models import AuditEvent, Base
from gerbang_sidecar.migrations import current_revision, head_revision, upgrade

TABLES = {"identity_records", "one_time_codes", "outbox_messages", "audit_events"}


def test_migrations_run_from_empty(database_url):
    engine = create_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(database_url)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES
        upgrade(database_url)  # idempotent at head
    finally:
        engine.dispose()


def test_models_match_the_migrations(storage):
    with storage.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == []


def test_migrations_cli_upgrades_from_database_url(database_url):
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-m", "gerbang_sidecar.migrations", "upgrade"],
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert head_revision() in done.stdout
    assert current_revision(database_url) == head_revision()


def record(storage: Storage, clock, event_type: str = "consent.privacy_policy") -> int:
    with storage.transaction() as s:
        return s.audit.record(realm="bsre", event_type=event_type, occurred_at=clock(),
                                  actor="kc-user-1", subject_id="kc-user-1",
                                  details={"version": "2025-01"}).id


def test_x4_audit_events_are_append_only(storage, clock):
    event_id = record(storage, clock)
    with storage.session_factory() as s:
        event = s.get(AuditEvent, event_id)
        assert event is not None
        event.event_type = "consent.withdrawn"
        with pytest.raises(AppendOnlyViolation):
            s.flush()
        s.rollback()
        s.delete(s.get(AuditEvent, event_id))
        with pytest.raises(AppendOnlyViolation):
            s.flush()
        s.rollback()
        with pytest.raises(AppendOnlyViolation):
            s.execute(update(AuditEvent).values(actor="someone-else"))
        with pytest.raises(AppendOnlyViolation):
            s.execute(delete(AuditEvent))
    with storage.transaction() as s:
        assert [e.event_type for e in s.audit.of_subject("kc-user-1")] == [
            "consent.privacy_policy"]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET actor = 'x'",
    "DELETE FROM audit_events",
])
def test_x4_database_refuses_raw_changes_to_audit_events(storage, clock, statement):
    record(storage, clock)
    with pytest.raises(DatabaseError, match="append-only"), storage.engine.begin() as conn:
        conn.execute(text(statement))
    with storage.transaction() as s:
        assert len(s.audit.of_subject("kc-user-1")) == 1


def test_x4_database_refuses_truncate_on_postgresql(storage, clock, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    record(storage, clock)
    with pytest.raises(DatabaseError, match="append-only"), storage.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_events"))


def test_x4_audit_events_keep_their_order(storage, clock):
    record(storage, clock, "verification.nik_matched")
    clock.advance(seconds=1)
    record(storage, clock, "otp_device.added")
    with storage.transaction() as s:
        events = s.audit.of_subject("kc-user-1")
    assert [e.event_type for e in events] == ["verification.nik_matched", "otp_device.added"]
    assert events[0].details == {"version": "2025-01"}
    assert events[1].occurred_at == clock.now


def test_x3_x4_identifiers_typed_into_a_reason_or_label_never_enter_the_audit_trail(
        storage, clock):
    """An officer's reason may quote a NIK or a phone number; the trail cannot be erased."""
    with storage.transaction() as s:
        s.audit.record(realm="bsre", event_type="bsre.account.disabled",
                       occurred_at=clock(), actor="officer", subject_id="kc-user-9",
                       details={"reason": "NIK 3174054507900003 dipakai orang lain, hub "
                                          "0812-3456-7890", "label": "HP siti@example.com",
                                "request_id": 7, "serial_number": "1234567890ABCDEF"})
    with storage.transaction() as s:
        [event] = s.audit.of_subject("kc-user-9")
    assert event.details == {"reason": "NIK [number] dipakai orang lain, hub [number]",
                             "label": "HP [email]", "request_id": 7,
                             "serial_number": "1234567890ABCDEF"}


def test_x3_a_failed_statement_s_error_names_no_parameter(storage, clock):
    """Tracebacks of storage errors reach the logs with the driver's message."""
    with storage.engine.connect() as conn, pytest.raises(SQLAlchemyError) as failed:
        conn.execute(text("INSERT INTO no_such_table (name) VALUES (:name)"),
                     {"name": "SEKAR AYUNINGTYAS"})
    assert "SEKAR AYUNINGTYAS" not in str(failed.value)
    assert "hidden due to hide_parameters" in str(failed.value)
