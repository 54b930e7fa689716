"""AKSes use cases: registration (A1–A5, C2), forgot password (A7, C4), legacy members (A6)."""
