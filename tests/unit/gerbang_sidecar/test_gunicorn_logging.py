"""X3: gunicorn's own log lines pass the same redaction as the sidecar's.

gunicorn keeps its loggers off the root logger, so before they went through the sidecar's
handler a request that failed outside Flask was logged as "Error handling request GET <uri>"
with the query string -- a search's NIK -- and the traceback as they were. A real gunicorn
serves an application that fails, and its log is read.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

NIK = "3171015203900001"
FAILING_APP = f"""
def app(environ, start_response):
    raise RuntimeError("lookup of {NIK} failed")
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(port: int, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn ended before it listened"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not listen within a minute")


def test_x3_gunicorn_error_lines_are_json_and_carry_no_identifier(tmp_path: Path) -> None:
    (tmp_path / "failing_app.py").write_text(FAILING_APP)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:gerbang_sidecar.gunicorn_config",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--chdir", str(tmp_path),
         "failing_app:app"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(port, server)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bsre/akun?q={NIK}", timeout=30)
        except urllib.error.HTTPError as refused:
            assert refused.code == 500
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=60)
    assert NIK not in errors
    lines = [json.loads(line) for line in errors.splitlines() if line.strip()]
    failed = [e for e in lines if e["message"].startswith("Error handling request")]
    assert failed and failed[0]["logger"] == "gunicorn.error"
    assert "/bsre/akun?[query]" in failed[0]["message"]
    assert "RuntimeError" in failed[0]["error"]
    assert any("Booting worker" in e["message"] for e in lines)  # the master's lines too
