"""The awards above 23,000 € in the SCDL « Subventions » format (Table Schema 2.1.1 of
schema.data.gouv.fr, maintained by OpenDataFrance): the open-data publication of the
essential data of subsidy agreements (décret n° 2017-779, arrêté du 17 novembre 2017).

What each column holds, from what tidi records:
- `nomAttribuant`: the operator that signs the agreement and instructs the fund;
  `idAttribuant`: its SIRET, given by the publisher (tidi stores no operator SIRET).
- `dateConvention`: the agreement's signature date; `referenceDecision`: tidi's id of the
  application the award was decided on.
- `nomBeneficiaire`: the holder as submitted; `idBeneficiaire`: the SIRET of the site when
  it is an establishment of the applicant (same SIREN), else empty (tidi stores no head
  office SIRET); `rnaBeneficiaire`: empty (tidi's applicants are undertakings).
- `objet`: the project's title (256 characters at most); `montant`: the award in euros;
  `nature`: « aide en numéraire »; `pourcentageSubvention`: 1.00 (one beneficiary).
- `conditionsVersement`: « unique » when one payment settled the whole award, else
  « échelonné » (tidi pays in tranches); `datesPeriodeVersement`: that payment's date, else
  the period from the first payment (or the signature) to the last payment or the
  project's planned end, whichever is later.
- `notificationUE`: « oui » for an award under the de minimis regulation (the field's
  definition), « non » under the block exemption (GBER); `idRAE`: empty.
- `dispositifAide`: the fund's name.
Only subsidies (not repayable advances) in force with a signed agreement are published.
"""

from datetime import date
from typing import Any

from stdnum.fr import siret as stdnum_siret

from shared.exports.formats import euros
from shared.exports.schemas import Column, Row
from shared.stateaid.regimes import AidRegime

SCHEMA_VERSION = "2.1.1"
PUBLICATION_THRESHOLD_CENTS = 2_300_000
"""Awards strictly above 23,000 € are published (décret n° 2001-495, article 1)."""
FIELDS = (
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
)
"""The schema's fields, in its order."""
COLUMNS = tuple(Column(name) for name in FIELDS)
OBJECT_MAX_LENGTH = 256


def record(award: Any, *, attribuant_name: str, attribuant_siret: str) -> Row:
    """One award (a row of `repository.awards`) as the schema's fields, as text."""
    single = award.payments == 1 and award.paid_cents == award.awarded_cents
    return (
        attribuant_name,
        attribuant_siret,
        award.signed_on.isoformat(),
        str(award.application_id),
        award.holder_name,
        _beneficiary_siret(award.site_siret, award.holder_siren),
        "",
        (award.title or "")[:OBJECT_MAX_LENGTH],
        str(euros(award.awarded_cents)),
        "aide en numéraire",
        "unique" if single else "échelonné",
        award.first_paid_on.isoformat() if single else _period(award),
        "",
        "oui" if award.regime == AidRegime.DE_MINIMIS else "non",
        "1.00",
        award.fund_name,
    )


def _beneficiary_siret(site_siret: str | None, holder_siren: str) -> str:
    """The site's SIRET when it is a valid establishment of the holder, else empty."""
    if site_siret and site_siret.startswith(holder_siren) and stdnum_siret.is_valid(site_siret):
        return site_siret
    return ""


def _period(award: Any) -> str:
    start: date = award.first_paid_on or award.signed_on
    ends = [day for day in (award.last_paid_on, award.planned_end) if day is not None]
    end = max([start, *ends])
    return f"{start.isoformat()}/{end.isoformat()}"
