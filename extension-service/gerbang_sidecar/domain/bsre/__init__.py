"""BSrE AMS rules (B1–B5): the verifier's invitation, the activation wizard's steps, the
account a verified civil servant gets."""
