"""The certificate authority on ``cryptography`` (issue 12)."""
