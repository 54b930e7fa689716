"""Use cases: what a page or the outbox worker asks for, one module per use case.

Services take ports (ports/) and return typed results (codes with parameters, never text);
they know nothing of HTTP, Flask or SQL. ``wiring.py`` builds them.
"""
