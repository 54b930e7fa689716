"""What the registries' answers decide about an AKSes registration (A2–A4, X1), pure.

Registry answers are turned into one of three decisions: eligible (with the SID found, hence
the roles and the Keycloak attributes), rejected (field errors), or registry unavailable (a
temporary problem, never an account and never "not found").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gerbang_sidecar.domain.akses.registration_form import RegistrationData, RegistrationType
from gerbang_sidecar.domain.identifiers import IdentifierError
from gerbang_sidecar.domain.registry_results import (
    Investor,
    Match,
    NoMatch,
    PopulationMatch,
    RegistryResult,
    Unavailable,
    compare_investor,
)


@dataclass(frozen=True)
class Eligible:
    """The registries agree: ``data`` carries the SID found, if any."""

    data: RegistrationData


@dataclass(frozen=True)
class Rejected:
    errors: Mapping[str, IdentifierError]


@dataclass(frozen=True)
class RegistryDown:
    """A registry could not answer: a temporary problem, never a verdict on the person."""

    registry: str
    reason: str


Decision = Eligible | Rejected | RegistryDown


def population_mismatch() -> IdentifierError:
    # One answer for "NIK unknown" and "name differs", on the name: it tells a stranger
    # typing someone's NIK nothing about whether that NIK exists (X1).
    return IdentifierError("name.population_mismatch")


def broker_email_mismatch() -> IdentifierError:
    return IdentifierError("email.broker_mismatch")


def investor_not_found(field: str) -> IdentifierError:
    # Same answer for "no such investor" and "name differs" (X1): the field to recheck is
    # the identifier the type registers with (passport, or the institution's SID).
    if field == "passport":
        return IdentifierError("passport.investor_not_found")
    return IdentifierError("sid.investor_not_found")


def decide_local(data: RegistrationData,
                 population: RegistryResult[PopulationMatch],
                 investor: RegistryResult[Investor] | None) -> Decision:
    """A2: the name must match Dukcapil for the NIK; a SID at KSEI makes an investor, whose
    email must equal the broker's; no SID makes a Registered User (A1).

    ``investor`` is KSEI's answer for the NIK, or None when Dukcapil did not match (then
    KSEI need not be asked).
    """
    if isinstance(population, Unavailable):
        return RegistryDown(population.registry, population.reason)
    if not isinstance(population, Match):
        return Rejected({"name": population_mismatch()})
    if investor is None:
        raise ValueError("KSEI must be asked once Dukcapil has matched")
    if isinstance(investor, Unavailable):
        return RegistryDown(investor.registry, investor.reason)
    if not isinstance(investor, Match):
        return Eligible(data.with_sid(None))  # no SID: Registered User
    # The local name was proven at Dukcapil; KSEI may spell it differently (broker records).
    compared = compare_investor(investor, email=data.email)
    if isinstance(compared, NoMatch):
        return Rejected({"email": broker_email_mismatch()})
    return Eligible(data.with_sid(investor.data.sid))


def decide_by_investor(data: RegistrationData,
                       investor: RegistryResult[Investor]) -> Decision:
    """A3 (passport) and A4 (SID): there must be an investor at KSEI whose name matches, and
    then its broker-registered email must equal the one typed."""
    field = "passport" if data.type is RegistrationType.INDIVIDU_ASING else "sid"
    if isinstance(investor, Unavailable):
        return RegistryDown(investor.registry, investor.reason)
    compared = compare_investor(investor, email=data.email, name=data.name)
    if isinstance(compared, Match):
        return Eligible(data.with_sid(compared.data.sid))
    if isinstance(compared, NoMatch) and compared.mismatched == ("email",):
        return Rejected({"email": broker_email_mismatch()})
    # Not found, or the name differs (with or without the email): the identity itself did
    # not check out, so nothing is said about the email (X1).
    return Rejected({field: investor_not_found(field)})
