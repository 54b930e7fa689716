"""Where an AKSes registration stands between "Selanjutnya" and the account (A5).

``pending_confirmation`` after the form passed the registries; ``activating`` while one
"Aktivasi" creates the account (a short claim, so a double click makes one account);
``activated`` once the account exists.
"""

PENDING = "pending_confirmation"
ACTIVATING = "activating"
ACTIVATED = "activated"
