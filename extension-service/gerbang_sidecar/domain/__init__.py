"""Pure rules: identifiers, registration and certificate states. No I/O here."""
