"""BSrE certificates (issue 12): issuance through the Set Passphrase link, the lists of B15 and
B16, download, the CRL. Renewal, revocation, passphrase changes, OCSP and signing follow."""
