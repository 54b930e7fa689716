"""Running the outbox worker: which handler delivers which kind, and where it runs.

* Production runs it as its own process, ``python -m gerbang_sidecar.outbox`` (the
  ``sidecar-outbox`` service in docker-compose.yml): gunicorn workers only enqueue.
* Development (``make run``) and the test servers run it in a daemon thread of the web
  process, started by the first request, so mails and SMS leave without a second process.
  Apps with ``TESTING`` set (unit tests) never start it: their tests call ``run_once``.

``GERBANG_OUTBOX_IN_PROCESS`` in the app config forces the choice either way.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app

from gerbang_sidecar.adapters.keycloak import get_keycloak_users
from gerbang_sidecar.adapters.mail import Mailer, SmtpMailer
from gerbang_sidecar.adapters.registries import get_registries
from gerbang_sidecar.adapters.storage import get_storage
from gerbang_sidecar.services.notifications import Notifications
from gerbang_sidecar.services.one_time_codes import OneTimeCodeService
from gerbang_sidecar.services.outbox_worker import Delivery, OutboxWorker
from gerbang_sidecar.services.password_reset import (
    OUTBOX_PASSWORD_CHANGED,
    OUTBOX_REQUESTED,
    OUTBOX_SMS_LINK,
    PasswordResetService,
    PasswordResetSettings,
)
from gerbang_sidecar.web.portals import PORTALS

log = logging.getLogger(__name__)

MAILER = "gerbang_mailer"
PASSWORD_RESET = "gerbang_password_reset"  # noqa: S105 (an extension name)
CODES = "gerbang_one_time_codes"
_THREAD = "gerbang_outbox_thread"
_start_lock = threading.Lock()


def utc_now() -> datetime:
    return datetime.now(UTC)


def get_mailer(app: Flask | None = None) -> Mailer:
    app = app or current_app
    mailer = app.extensions.get(MAILER)
    if mailer is None:
        settings = app.config["GERBANG"]
        mailer = SmtpMailer(settings.smtp_host, settings.smtp_port, settings.mail_from,
                            starttls=settings.smtp_starttls, user=settings.smtp_user,
                            password=settings.smtp_password)
        app.extensions[MAILER] = mailer
    return mailer


def get_password_reset(app: Flask | None = None) -> PasswordResetService:
    app = app or current_app
    service = app.extensions.get(PASSWORD_RESET)
    if service is None:
        settings = app.config["GERBANG"]
        service = PasswordResetService(
            get_storage(app).session_factory, get_keycloak_users(app), utc_now,
            PasswordResetSettings(public_url=settings.public_url), app.config["SECRET_KEY"])
        app.extensions[PASSWORD_RESET] = service
    return service


def get_one_time_codes(app: Flask | None = None) -> OneTimeCodeService:
    app = app or current_app
    service = app.extensions.get(CODES)
    if service is None:
        storage = get_storage(app)
        service = OneTimeCodeService(storage.session_factory, storage.keys.one_time_code,
                                     utc_now)
        app.extensions[CODES] = service
    return service


def build_worker(app: Flask, **options: Any) -> OutboxWorker:
    """A worker with every handler the sidecar has, wired to the app's adapters."""
    worker = OutboxWorker(get_storage(app).session_factory, options.pop("clock", utc_now),
                          **options)
    notifications = Notifications(
        mailer=get_mailer(app), gateway=get_registries(app).message_gateway,
        keycloak=get_keycloak_users(app),
        portal_names={p.realm: p.name for p in PORTALS.values()})
    reset = get_password_reset(app)

    def password_reset_requested(delivery: Delivery) -> None:
        reset.process(int(delivery.payload["request_id"]))

    worker.register("one_time_code.email", notifications.one_time_code_email)
    worker.register(OUTBOX_REQUESTED, password_reset_requested)
    # The gateway drops duplicates by idempotency key: safe to send again after a crash.
    worker.register(OUTBOX_SMS_LINK, notifications.password_reset_sms,
                    redeliver_after_crash=True)
    worker.register(OUTBOX_PASSWORD_CHANGED, notifications.password_changed)
    return worker


def _wanted_in_process(app: Flask) -> bool:
    forced = app.config.get("GERBANG_OUTBOX_IN_PROCESS")
    if forced is not None:
        return bool(forced)
    return not app.testing and not app.config["GERBANG"].is_production


def start_in_process(app: Flask) -> threading.Thread | None:
    """Start the worker thread once per app (no-op when already running or not wanted)."""
    with _start_lock:
        if app.extensions.get(_THREAD) is not None or not _wanted_in_process(app):
            return None
        worker = build_worker(app)
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,),
                                  kwargs={"idle_seconds": 0.5}, name="gerbang-outbox",
                                  daemon=True)
        app.extensions[_THREAD] = (thread, stop)
        thread.start()
        log.info("outbox worker started in the web process")
        return thread


def init_app(app: Flask) -> None:
    app.before_request(lambda: start_in_process(app) and None)
