"""Solving the sidecar's captcha in tests as the widget would (altcha)."""

from __future__ import annotations

from typing import Any

import altcha


def solved(captcha: Any) -> str:
    """A fresh puzzle of ``captcha`` (services.captcha) solved: the field's value."""
    challenge = altcha.Challenge.from_dict(captcha.puzzle())
    return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()
