"""Where each input of the evaluation context comes from, and who can supply it.

`facts.build_context` fills the context from three places: the application (its request
body), its project (the project's request body, snapshotted at submission) and the
programme's own data (zonings, the fund, the territory record). This module states that
mapping once, path by path, so completeness can tell an applicant which field of which
resource a criterion waits for, and tests can check that every such field exists in the
API's request schemas.
"""

from dataclasses import dataclass
from enum import StrEnum

from shared.eligibility.rules.context import ANSWERS_PREFIX, missing_label


class InputOrigin(StrEnum):
    """Who supplies an input."""

    APPLICATION = "application"
    """The applicant, in the application's body."""
    PROJECT = "project"
    """The applicant, in the project's body (snapshotted at submission)."""
    PROGRAMME = "programme"
    """tidi's reference data: zonings, funds, territories. The applicant cannot supply it."""
    SUBMISSION = "submission"
    """Set by the submission itself (its date)."""


@dataclass(frozen=True, slots=True)
class InputSource:
    """An input's origin and the JSON pointers, into that resource's request body, of the
    fields it is built from (any one of them may be what is missing).
    """

    origin: InputOrigin
    pointers: tuple[str, ...] = ()

    @property
    def applicant_side(self) -> bool:
        """Whether the applicant supplies it (on the application or on its project)."""
        return self.origin in (InputOrigin.APPLICATION, InputOrigin.PROJECT)


_APPLICATION, _PROJECT = InputOrigin.APPLICATION, InputOrigin.PROJECT
_SIZE = ("/holder/headcount", "/holder/turnover_cents", "/holder/balance_sheet_cents")

_SPECIAL: dict[str, InputSource] = {
    # Built from other fields, or from a field of another resource than its path says.
    "application.expense_holder_siren": InputSource(_APPLICATION, ("/expense_holder_siren",)),
    "holder.eu_size": InputSource(_PROJECT, _SIZE),
    "holder.category": InputSource(_PROJECT, _SIZE),
    "holder.admin_status": InputSource(
        _PROJECT, ("/holder/admin_status", "/holder/registry_attested")
    ),
    # The sworn attestation stands for the project's declaration when that says nothing.
    "holder.in_difficulty": InputSource(_APPLICATION, ("/attestations/not_in_difficulty",)),
    "holder.difficulty_exit_accepted": InputSource(
        _APPLICATION, ("/attestations/difficulty_exit_proven",)
    ),
    "site.admin_status": InputSource(_PROJECT, ("/site/admin_status", "/holder/registry_attested")),
    "site.naf_code": InputSource(_PROJECT, ("/holder/naf_code",)),
    "site.region_code": InputSource(_PROJECT, ("/site/commune_insee",)),
    "submitted_at": InputSource(InputOrigin.SUBMISSION),
}


def source_of(path: str) -> InputSource:
    """Where the input at a context path comes from (a path the engine may name missing).

    Raises:
        KeyError: the path is not one the context holds.
    """
    special = _SPECIAL.get(path)
    if special is not None:
        return special
    if missing_label(path) is None:
        raise KeyError(path)
    head, _, rest = path.partition(".")
    if path.startswith(ANSWERS_PREFIX):
        return InputSource(_APPLICATION, (_pointer(path),))
    if head == "application":
        return InputSource(_APPLICATION, (_pointer(rest),))
    if head == "project":
        return InputSource(_PROJECT, (_pointer(rest),))
    if head in ("holder", "site"):
        return InputSource(_PROJECT, (_pointer(path),))
    return InputSource(InputOrigin.PROGRAMME)


def _pointer(dotted: str) -> str:
    return "/" + dotted.replace(".", "/")
