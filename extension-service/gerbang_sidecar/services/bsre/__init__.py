"""BSrE AMS use cases: the verifier's invitations (B1), the activation wizard (B2–B4), the
verification of "Lainnya" (B5) and the account that follows (B6)."""
