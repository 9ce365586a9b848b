"""Budget errors."""

from shared.errors import Conflict, Unprocessable


class EnvelopeExhausted(Conflict):
    """The envelope's remaining amount does not cover the award."""

    type_slug = "envelope-exhausted"
    title = "Envelope exhausted"


class NoEnvelope(Unprocessable):
    """No envelope of the fund covers the application (region, period, financer)."""

    type_slug = "no-envelope"
    title = "No envelope"


class PaymentExceedsCommitment(Conflict):
    """The payment would take the paid total past the amount committed."""

    type_slug = "payment-exceeds-commitment"
    title = "Payment exceeds the commitment"
