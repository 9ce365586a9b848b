"""State-aid errors."""

from shared.errors import Unprocessable


class StateAidCeilingExceeded(Unprocessable):
    """The award's gross grant equivalent is above the regime's ceiling for this applicant."""

    type_slug = "state-aid-ceiling"
    title = "Above the State-aid ceiling"


class StateAidInputsMissing(Unprocessable):
    """The ceiling of the regime cannot be computed: inputs are unknown."""

    type_slug = "state-aid-inputs-missing"
    title = "State-aid ceiling unknown"


class RegimeNotApplicable(Unprocessable):
    """The regime does not apply to this applicant or site (size, zone, nature)."""

    type_slug = "regime-not-applicable"
    title = "Regime not applicable"
