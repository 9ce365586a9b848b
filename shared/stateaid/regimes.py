"""The State-aid regimes tidi knows, and the de minimis ceiling (pure: no I/O)."""

from enum import StrEnum
from typing import Final


class AidRegime(StrEnum):
    """State-aid regimes an award is granted under (research §1.2)."""

    DE_MINIMIS = "de_minimis_2023_2831"
    GBER_ART17_SME = "gber_art17_sme"
    GBER_ART14_AFR_C = "gber_art14_afr_c"
    GBER_ART14_AFR_A = "gber_art14_afr_a"


REGIME_LABELS_FR: Final = {
    AidRegime.DE_MINIMIS: "de minimis (règlement 2023/2831)",
    AidRegime.GBER_ART17_SME: "RGEC art. 17 (investissement des PME)",
    AidRegime.GBER_ART14_AFR_C: "RGEC art. 14 (AFR zone c)",
    AidRegime.GBER_ART14_AFR_A: "RGEC art. 14 (AFR zone a)",
}
"""French names of the regimes, for explanations."""

DEMINIMIS_CAP_CENTS: Final = 30_000_000
"""Reg. 2023/2831: 300 k€ per undertaking over three rolling years [29]."""

DEMINIMIS_YEARS: Final = 3
"""The rolling window of de minimis cumulation, in years."""
