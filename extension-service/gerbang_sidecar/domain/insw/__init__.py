"""INSW rules (I0–I4), pure."""
