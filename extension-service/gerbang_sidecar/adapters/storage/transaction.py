"""The repositories of one database transaction (the ``Transaction`` port)."""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.orm import Session

from gerbang_sidecar.adapters.storage.account_requests import SqlAccountRequests
from gerbang_sidecar.adapters.storage.audit import SqlAuditTrail
from gerbang_sidecar.adapters.storage.certificates import SqlCertificates
from gerbang_sidecar.adapters.storage.codes import SqlOneTimeCodes
from gerbang_sidecar.adapters.storage.identities import SqlIdentityRecords
from gerbang_sidecar.adapters.storage.identity_checks import SqlIdentityChecks
from gerbang_sidecar.adapters.storage.issued_usernames import SqlIssuedUsernames
from gerbang_sidecar.adapters.storage.outbox import SqlOutbox
from gerbang_sidecar.adapters.storage.password_resets import SqlPasswordResets
from gerbang_sidecar.adapters.storage.portal_sessions import SqlPortalSessions
from gerbang_sidecar.adapters.storage.rate_limits import SqlRateLimits
from gerbang_sidecar.adapters.storage.registrations import SqlRegistrations
from gerbang_sidecar.adapters.storage.spent_puzzles import SqlSpentPuzzles
from gerbang_sidecar.adapters.storage.sync_marks import SqlSyncMarks


class SqlTransaction:
    """Repositories are made on first use, all on the one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @cached_property
    def identities(self) -> SqlIdentityRecords:
        return SqlIdentityRecords(self.session)

    @cached_property
    def audit(self) -> SqlAuditTrail:
        return SqlAuditTrail(self.session)

    @cached_property
    def outbox(self) -> SqlOutbox:
        return SqlOutbox(self.session)

    @cached_property
    def codes(self) -> SqlOneTimeCodes:
        return SqlOneTimeCodes(self.session)

    @cached_property
    def registrations(self) -> SqlRegistrations:
        return SqlRegistrations(self.session)

    @cached_property
    def password_resets(self) -> SqlPasswordResets:
        return SqlPasswordResets(self.session)

    @cached_property
    def rate_limits(self) -> SqlRateLimits:
        return SqlRateLimits(self.session)

    @cached_property
    def portal_sessions(self) -> SqlPortalSessions:
        return SqlPortalSessions(self.session)

    @cached_property
    def spent_puzzles(self) -> SqlSpentPuzzles:
        return SqlSpentPuzzles(self.session)

    @cached_property
    def issued_usernames(self) -> SqlIssuedUsernames:
        return SqlIssuedUsernames(self.session)

    @cached_property
    def identity_checks(self) -> SqlIdentityChecks:
        return SqlIdentityChecks(self.session)

    @cached_property
    def account_requests(self) -> SqlAccountRequests:
        return SqlAccountRequests(self.session)

    @cached_property
    def certificates(self) -> SqlCertificates:
        return SqlCertificates(self.session)

    @cached_property
    def sync_marks(self) -> SqlSyncMarks:
        return SqlSyncMarks(self.session)
