"""Who may move an application: the actors a key plays, and the actions it can take now.

A territory key acts as the applicant for its territory's applications, a region key as
the regional review for its region's, an operator key as the instructing operator for its
funds'; an admin plays all three. `allowed_actions` lists exactly what the caller can do
through the API, given the fund's configuration (regional preselection or not).
"""

from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.applications.states import (
    APPLICATION_MACHINE,
    DIRECT_REVIEW_ONLY,
    PRESELECTION_ONLY,
)
from shared.principal import Principal, Role
from shared.states import Actor, Transition

_ACTORS = {
    Role.ADMIN: frozenset({Actor.APPLICANT, Actor.REGIONAL_REVIEW, Actor.OPERATOR}),
    Role.TERRITORY: frozenset({Actor.APPLICANT}),
    Role.REGION: frozenset({Actor.REGIONAL_REVIEW}),
    Role.OPERATOR: frozenset({Actor.OPERATOR}),
    Role.OBSERVER: frozenset(),
}


def actors_of(principal: Principal) -> frozenset[Actor]:
    """The parts a key plays in an application's lifecycle (within its tenant)."""
    return _ACTORS[principal.role]


def offered(application: Application, action: str) -> bool:
    """Whether the fund's configuration has this move from the application's status."""
    key = (action, application.status)
    if key in PRESELECTION_ONLY:
        return application.fund.regional_preselection
    if key in DIRECT_REVIEW_ONLY:
        return not application.fund.regional_preselection
    return True


def allowed_actions(application: Application, principal: Principal) -> list[str]:
    """The actions `principal` can take on `application` now (its fund must be loaded)."""
    actors = actors_of(principal)
    return sorted(
        {
            t.action
            for t in APPLICATION_MACHINE.transitions
            if t.source == application.status
            and t.actors & actors
            and offered(application, t.action)
        }
    )


def check(
    application: Application, action: str, principal: Principal
) -> Transition[ApplicationStatus]:
    """The move `action` makes for `principal`, or the 409 naming what it may do instead."""
    transition = APPLICATION_MACHINE.find(application.status, action)
    if (
        transition is None
        or not transition.actors & actors_of(principal)
        or not offered(application, action)
    ):
        allowed = allowed_actions(application, principal)
        raise APPLICATION_MACHINE.refusal(application.status, action, allowed)
    return transition
