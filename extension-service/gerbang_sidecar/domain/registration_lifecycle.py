"""Where a self-registration stands between the form and the account (AKSes A5, OSS O5, X1).

``pending_confirmation`` after the form passed the registries (AKSes waits for "Aktivasi";
OSS accepts at once); ``activating`` once accepted, while the outbox worker makes the
account; then ``activated`` (the account exists, its activation email is queued) or
``declined`` (an identifier already belongs to an account: nothing is made and that
account's owner is told by mail).

INSW registrations wait ``in_review`` between their last step and a reviewer's decision (I4):
approval moves them to ``activating``, a rejection to ``rejected``.

The person at the browser sees one and the same page for the last three (X1): whether an
email, phone or NIK already has an account is told only to its owner's mailbox.
"""

PENDING = "pending_confirmation"
ACTIVATING = "activating"
ACTIVATED = "activated"
DECLINED = "declined"
ACCEPTED = (ACTIVATING, ACTIVATED, DECLINED)
# INSW (I4): complete and waiting for a reviewer, then approved (-> activating) or rejected.
IN_REVIEW = "in_review"
REJECTED = "rejected"
