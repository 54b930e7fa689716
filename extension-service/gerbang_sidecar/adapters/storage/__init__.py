"""The sidecar's own database: models, encryption at rest (X3), repositories (all the SQL),
and ``Storage``, which implements the ``Store`` port (ports/storage.py)."""
