"""B22 / X7: five wrong passphrases lock a certificate -- also when the tries arrive at once.

A try is counted before its passphrase is judged (the PKCS#12 decryption takes a while), so a
burst of concurrent tries cannot all pass the check and each try its guess.
"""
# Fixtures imported from support/ca_fixtures.py and the views' module read as redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import threading
from collections.abc import Sequence

from cryptography.hazmat.primitives.serialization import pkcs12
from flask import Flask
from flask.testing import FlaskClient

from gerbang_sidecar.ports.ca import KeyStore, SubscriberKeys
from gerbang_sidecar.services.certificates.passphrases import (
    MAX_WRONG,
    Changed,
    Locked,
    give_back_attempt,
    reserve_attempt,
)
from gerbang_sidecar.services.results import FormErrors
from gerbang_sidecar.wiring import Services
from support.ca_fixtures import (  # noqa: F401 - fixtures of every test with a CA
    KEK,
    authority,
    clock,
    material,
    settings_overrides,
)

from .test_certificate_views import PASSPHRASE, _issue, browser, holder  # noqa: F401

NEW = "Baru#Sandi2026"


class HeldKeys:
    """The real keys, each reseal held until every try has either reached it or given up
    without it: all tries are in flight together, the case a slow decryption invites."""

    def __init__(self, real: SubscriberKeys, tries: int) -> None:
        self._real = real
        self._tries = tries
        self._arrived = 0
        self._lock = threading.Condition()
        self.tried: list[str] = []

    def arrive(self) -> None:
        with self._lock:
            self._arrived += 1
            self._lock.notify_all()
            self._lock.wait_for(lambda: self._arrived >= self._tries, timeout=30)

    def reseal(self, sealed: bytes, old: str, new: str) -> bytes:
        with self._lock:
            self.tried.append(old)
        self.arrive()
        return self._real.reseal(sealed, old, new)

    def create(self, *args: object, **kwargs: object) -> KeyStore:
        return self._real.create(*args, **kwargs)  # type: ignore[arg-type]


def _at_once(services: Services, holder: str, certificate_id: int,
             olds: Sequence[str]) -> tuple[HeldKeys, list[object]]:
    passphrases = services.passphrases
    held = HeldKeys(passphrases._keys, len(olds))
    passphrases._keys = held  # type: ignore[assignment]
    results: list[object] = [None] * len(olds)

    def attempt(index: int, old: str) -> None:
        result = passphrases.change(holder, certificate_id, old, NEW, NEW, "y")
        results[index] = result
        if isinstance(result, Locked) and old not in held.tried:
            held.arrive()  # refused before trying: count it as arrived

    threads = [threading.Thread(target=attempt, args=(i, old)) for i, old in enumerate(olds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return held, results


def test_b22_eight_wrong_passphrases_at_once_try_five_and_lock(
        app: Flask, browser: FlaskClient, services: Services, holder: str) -> None:
    certificate_id = _issue(app, browser, services)
    wrong = [f"Salah#Sandi{n:04d}" for n in range(8)]
    held, results = _at_once(services, holder, certificate_id, wrong)
    assert len(held.tried) == MAX_WRONG
    assert sum(isinstance(r, Locked) for r in results) >= 8 - MAX_WRONG + 1
    assert all(isinstance(r, Locked | FormErrors) for r in results)
    with services.storage.transaction() as tx:
        row = tx.certificates.certificate(certificate_id)
    assert row is not None and row.failed_passphrases == MAX_WRONG
    assert isinstance(services.passphrases.change(holder, certificate_id, PASSPHRASE, NEW, NEW,
                                                  "y"), Locked)


def test_b22_a_right_passphrase_in_a_burst_of_wrong_ones_is_tried_only_within_the_limit(
        app: Flask, browser: FlaskClient, services: Services, holder: str) -> None:
    certificate_id = _issue(app, browser, services)
    olds = [f"Salah#Sandi{n:04d}" for n in range(MAX_WRONG)] + [PASSPHRASE]
    held, results = _at_once(services, holder, certificate_id, olds)
    assert len(held.tried) == MAX_WRONG  # one of the six never got to try
    changed = any(isinstance(r, Changed) for r in results)
    assert changed == (PASSPHRASE in held.tried)


def test_b22_an_attempt_that_never_judged_its_passphrase_is_given_back(
        app: Flask, browser: FlaskClient, services: Services, holder: str) -> None:
    certificate_id = _issue(app, browser, services)
    counts = [reserve_attempt(services.storage, certificate_id) for _ in range(MAX_WRONG + 1)]
    assert counts == [1, 2, 3, 4, 5, None]
    give_back_attempt(services.storage, certificate_id)
    assert reserve_attempt(services.storage, certificate_id) == MAX_WRONG


def test_b22_two_changes_at_once_one_wins_and_the_other_says_so(
        app: Flask, browser: FlaskClient, services: Services, holder: str) -> None:
    """Both knew the passphrase; the second once replaced the first's key silently and
    both reported success."""
    certificate_id = _issue(app, browser, services)
    _, results = _at_once(services, holder, certificate_id, [PASSPHRASE, PASSPHRASE])
    assert sorted(type(r).__name__ for r in results) == ["Changed", "ChangedMeanwhile"]
    with services.storage.transaction() as tx:
        sealed = tx.certificates.pkcs12_of(certificate_id)
        row = tx.certificates.certificate(certificate_id)
    assert sealed is not None and row is not None and row.failed_passphrases == 0
    pkcs12.load_key_and_certificates(sealed, NEW.encode())
