"""A PDF verifier run in a child process with a CPU-time and a memory limit.

Counting signatures and revisions bounds the obvious costs, not all of them: a 35 KB PDF
whose signature carries a lattice of CA certificates makes pyHanko's path builder try every
chain (2^D of them), and a diamond of references in the signed revision makes its diff
analysis list every route to every object -- seconds to hours of CPU, and gigabytes, for a
few dozen objects (hostile measurement, 2026-12-03). Whatever the file, the public page must
not give it more than a few seconds of one CPU: each verification runs in a child of a fork
server (started once per process, single-threaded, with pyHanko already imported, so a child
costs a fork, not an interpreter), under RLIMIT_CPU and RLIMIT_AS and a wall-clock limit; a
child that runs out is killed and the upload is called too complex. One verification runs at
a time per process (a pod of four workers budgets four children of 512 MB); another waits a
moment for its turn and is otherwise told the service is busy -- not that its file is too
complex. The child gets the worker's environment: the limits bound resources, not rights.
"""

from __future__ import annotations

import multiprocessing
import resource
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from typing import Any

from gerbang_sidecar.ports.signing import (
    OverLimit,
    PdfVerifier,
    SignatureEvidence,
    TooComplex,
    UnreadablePdf,
    VerifierBusy,
)

_PRELOAD = ["gerbang_sidecar.adapters.signing.pades"]


@dataclass
class IsolatedPdfVerifier:
    inner: PdfVerifier  # picklable: it travels to the child
    cpu_seconds: int = 10
    memory_bytes: int = 512 << 20  # a 10 MB PDF with 20 signatures needs under 384 MB
    wall_seconds: float = 30.0
    at_once: int = 1
    # How long an upload waits for a turn before it is told to try again: not a request
    # thread held for a whole verification behind others.
    turn_wait_seconds: float = 2.0
    _turns: threading.BoundedSemaphore = field(init=False, repr=False)
    _context: Any = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self._turns = threading.BoundedSemaphore(self.at_once)

    def verify(self, pdf: bytes, chain: Sequence[bytes], *,
               now: datetime) -> list[SignatureEvidence]:
        if not self._turns.acquire(timeout=self.turn_wait_seconds):
            raise VerifierBusy()
        try:
            return self._in_child(pdf, list(chain), now)
        finally:
            self._turns.release()

    def _in_child(self, pdf: bytes, chain: list[bytes],
                  now: datetime) -> list[SignatureEvidence]:
        context = self._fork_server()
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_verify_in_child, daemon=True, args=(
            send, self.inner, pdf, chain, now, self.cpu_seconds, self.memory_bytes))
        child.start()
        send.close()
        try:
            if not receive.poll(self.wall_seconds):
                raise TooComplex("wall-clock limit")
            outcome, value = receive.recv()
        except (EOFError, OSError):
            # Killed by its CPU or memory limit before it could answer.
            raise TooComplex("limit reached") from None
        finally:
            receive.close()
            if child.is_alive():
                child.kill()
            child.join(5)
        if outcome == "done":
            return list(value)
        if outcome == "refused":
            raise value  # with its limit, for the message beside the field
        raise UnreadablePdf(value)

    def _fork_server(self) -> Any:
        if self._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            self._context = context
        return self._context


def _verify_in_child(send: Connection, inner: PdfVerifier, pdf: bytes, chain: list[bytes],
                     now: datetime, cpu_seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        send.send(("done", inner.verify(pdf, chain, now=now)))
    except (OverLimit, TooComplex) as refused:
        send.send(("refused", refused))
    except MemoryError:
        pass  # the parent sees the pipe close: too complex
    except Exception as exc:  # UnreadablePdf, or a parser's surprise: not a PDF we can read
        send.send(("unreadable", type(exc).__name__))
    finally:
        send.close()
