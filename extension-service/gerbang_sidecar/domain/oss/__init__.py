"""OSS rules (O1–O6), pure."""
