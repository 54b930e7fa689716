"""Use cases that take ports (adapters) as arguments."""
