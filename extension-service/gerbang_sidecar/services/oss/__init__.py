"""OSS use cases (O1–O6): registration (registration.py)."""
