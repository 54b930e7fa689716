"""O2, O3: the OSS captcha -- a proof-of-work puzzle we sign, solved once, before it expires."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime

import altcha
import pytest

from gerbang_sidecar.adapters.captcha.altcha import AltchaProofOfWork
from gerbang_sidecar.adapters.storage.engine import Storage
from gerbang_sidecar.services.captcha import Captcha, CaptchaVerdict
from support.clock import FakeClock

COST = 50  # cheap for tests; the real difficulty is config (CAPTCHA_COST)


@pytest.fixture
def now() -> FakeClock:
    # ALTCHA also checks expiry against the wall clock, so this clock starts at the real time.
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def captcha(storage: Storage, now: FakeClock) -> Captcha:
    return Captcha(AltchaProofOfWork(b"k" * 32, cost=COST), storage, now)


def solve(puzzle: dict) -> str:
    challenge = altcha.Challenge.from_dict(puzzle)
    solution = altcha.solve_challenge(challenge, timeout=30)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def test_o2_a_solved_puzzle_passes_once(captcha: Captcha) -> None:
    solution = solve(captcha.puzzle())
    assert captcha.check(solution) is CaptchaVerdict.PASSED
    assert captcha.check(solution) is CaptchaVerdict.REFUSED  # replayed


def test_o2_a_missing_solution_is_missing(captcha: Captcha) -> None:
    assert captcha.check(None) is CaptchaVerdict.MISSING
    assert captcha.check("  ") is CaptchaVerdict.MISSING


def test_o2_an_expired_puzzle_is_refused(captcha: Captcha, now: FakeClock) -> None:
    solution = solve(captcha.puzzle())
    now.advance(minutes=10, seconds=1)
    assert captcha.check(solution) is CaptchaVerdict.REFUSED


def test_o2_a_puzzle_of_another_key_is_refused(captcha: Captcha, storage: Storage,
                                               now: FakeClock) -> None:
    foreign = Captcha(AltchaProofOfWork(b"x" * 32, cost=COST), storage, now)
    assert captcha.check(solve(foreign.puzzle())) is CaptchaVerdict.REFUSED


def test_o2_an_easier_puzzle_made_by_the_browser_is_refused(captcha: Captcha) -> None:
    """The browser may not lower the difficulty: the parameters are signed."""
    puzzle = captcha.puzzle()
    puzzle["parameters"]["keyPrefix"] = ""
    assert captcha.check(solve(puzzle)) is CaptchaVerdict.REFUSED


def test_o2_a_wrong_counter_is_refused(captcha: Captcha) -> None:
    payload = json.loads(base64.b64decode(solve(captcha.puzzle())))
    payload["solution"]["counter"] += 1
    tampered = base64.b64encode(json.dumps(payload).encode()).decode()
    assert captcha.check(tampered) is CaptchaVerdict.REFUSED


@pytest.mark.parametrize("garbage", ["x", "e30=", "W10=", "MQ==", "bnVsbA==", "%%%",
                                     base64.b64encode(b'{"challenge": 1}').decode(),
                                     base64.b64encode(json.dumps({
                                         "challenge": {"parameters": {"expiresAt": "soon"}},
                                         "solution": {}}).encode()).decode()])
def test_o2_garbage_is_refused_not_an_error(captcha: Captcha, garbage: str) -> None:
    assert captcha.check(garbage) is CaptchaVerdict.REFUSED


def test_o2_two_concurrent_uses_of_one_solution_pass_once(captcha: Captcha) -> None:
    solution = solve(captcha.puzzle())
    verdicts: list[CaptchaVerdict] = []
    threads = [threading.Thread(target=lambda: verdicts.append(captcha.check(solution)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(v.value for v in verdicts) == ["passed"] + ["refused"] * 3


def test_o2_spent_puzzles_are_forgotten_once_expired(captcha: Captcha, now: FakeClock) -> None:
    assert captcha.check(solve(captcha.puzzle())) is CaptchaVerdict.PASSED
    assert captcha.purge_spent() == 0
    now.advance(minutes=11)
    assert captcha.purge_spent() == 1
