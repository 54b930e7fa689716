"""What services ask of the outside world, as small interfaces the adapters implement.

Services import these, never ``adapters``; the composition root (``wiring.py``) chooses the
implementation. Each port raises only its own errors, so services never see HTTP, SMTP or SQL.
"""
