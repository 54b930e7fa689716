"""Issue 11 item 5 / X3: request ids are kept from the proxy when sane, made otherwise, and
can never carry a personal identifier into a log line or an outgoing header."""

from __future__ import annotations

import re
import threading

from hypothesis import given
from hypothesis import strategies as st

from gerbang_sidecar.domain.redaction import redact
from gerbang_sidecar.request_ids import (
    accept_request_id,
    current_request_id,
    new_request_id,
    request_id_scope,
)

SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@given(st.one_of(st.none(), st.text(max_size=200),
                 st.from_regex(r"\A\+?62\d{9,12}\Z"), st.from_regex(r"\A\d{16}\Z"),
                 st.emails()))
def test_x3_whatever_arrives_the_id_kept_is_sane_and_unredacted(incoming: str | None) -> None:
    kept = accept_request_id(incoming)
    assert SANE.fullmatch(kept)
    assert redact(kept) == kept
    if incoming is not None and kept == incoming.strip():
        assert SANE.fullmatch(incoming.strip())


def test_new_ids_differ_and_look_alike() -> None:
    made = {new_request_id() for _ in range(200)}
    assert len(made) == 200
    assert all(re.fullmatch(r"[0-9a-f]{32}", m) and redact(m) == m for m in made)


def test_a_scope_binds_an_id_for_its_thread_only() -> None:
    assert current_request_id() is None
    other: list[str | None] = []
    with request_id_scope("outer-0001") as outer:
        assert current_request_id() == outer == "outer-0001"
        thread = threading.Thread(target=lambda: other.append(current_request_id()))
        thread.start()
        thread.join()
        with request_id_scope() as inner:
            assert current_request_id() == inner != outer
        assert current_request_id() == outer
    assert current_request_id() is None
    assert other == [None]
