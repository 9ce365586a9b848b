"""Project errors."""

from shared.errors import Conflict, NotFound, Unprocessable


class ProjectNotFound(NotFound):
    """No such project visible to this key."""

    type_slug = "project-not-found"


class ProjectNotEditable(Conflict):
    """Only draft and active projects change; an active one keeps its holder's SIREN."""

    type_slug = "project-not-editable"


class ReasonRequired(Unprocessable):
    """This action must say why."""

    type_slug = "reason-required"
