"""Certificate rules of BSrE (B14–B22), pure: products and profiles, the passphrase rule, the
renewal window."""
