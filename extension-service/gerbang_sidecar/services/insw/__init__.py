"""INSW use cases (I0–I4): the organisation registration (registration.py)."""
