"""INSW usernames (I4): ``USER.YYYYMMDD.NN.NNNNN``, e.g. ``USER.20201014.97.00099``.

The manual shows the shape only; ours means:

* ``YYYYMMDD`` -- the day the registration was approved, in Jakarta time;
* ``NNNNN``    -- the sidecar's sequence of INSW usernames, never reused (a database
  identity: concurrent approvals get different numbers), zero-padded to five digits and
  growing past 99999 rather than wrapping;
* ``NN``       -- two check digits (ISO 7064 MOD 97-10, as IBANs use) over the date and the
  sequence, so a mistyped username is told apart from an unknown one without asking Keycloak.
"""

from __future__ import annotations

import datetime as dt
import re

PREFIX = "USER"
_SHAPE = re.compile(r"USER\.(\d{8})\.(\d{2})\.(\d{5,})")


def check_digits(day: str, sequence: str) -> str:
    """MOD 97-10: the two digits that make ``day + sequence + NN`` leave 1 modulo 97."""
    return f"{98 - int(day + sequence + '00') % 97:02d}"


def username_for(day: dt.date, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("sequence numbers start at 1")
    ymd, number = day.strftime("%Y%m%d"), f"{sequence:05d}"
    return f"{PREFIX}.{ymd}.{check_digits(ymd, number)}.{number}"


def is_well_formed(username: str) -> bool:
    match = _SHAPE.fullmatch(username.strip().upper())
    return bool(match) and check_digits(match.group(1), match.group(3)) == match.group(2)


def shown(username: str) -> str:
    """How a username is shown: an I4 username in capitals as the manual writes it (Keycloak
    keeps every username in lower case); any other (an officer's email) as it is."""
    return username.upper() if is_well_formed(username) else username
