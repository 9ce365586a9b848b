"""Company size from headcount, turnover and balance sheet (pure functions)."""

from shared.projects.enums import CompanyCategory, EuSize

_MEUR = 100_000_000  # one million euros in cents


def _within(amount: int | None, cap_meur: int) -> bool:
    return amount is not None and amount <= cap_meur * _MEUR


def eu_size(
    headcount: int | None, turnover: int | None, balance_sheet: int | None
) -> EuSize | None:
    """EU SME definition: small < 50 staff and ≤ 10 M€ turnover or balance sheet;
    medium < 250 and ≤ 50 M€ turnover or ≤ 43 M€ balance sheet; otherwise large.

    None when the headcount or both financial figures are unknown.
    """
    if headcount is None or (turnover is None and balance_sheet is None):
        return None
    if headcount < 50 and (_within(turnover, 10) or _within(balance_sheet, 10)):
        return EuSize.SMALL
    if headcount < 250 and (_within(turnover, 50) or _within(balance_sheet, 43)):
        return EuSize.MEDIUM
    return EuSize.LARGE


def company_category(
    headcount: int | None, turnover: int | None, balance_sheet: int | None
) -> CompanyCategory | None:
    """French category: PME (an EU SME), ETI (< 5,000 staff and ≤ 1.5 bn€ turnover or
    ≤ 2 bn€ balance sheet), otherwise GE.
    """
    size = eu_size(headcount, turnover, balance_sheet)
    if size is None or headcount is None:
        return None
    if size is not EuSize.LARGE:
        return CompanyCategory.PME
    if headcount < 5000 and (_within(turnover, 1500) or _within(balance_sheet, 2000)):
        return CompanyCategory.ETI
    return CompanyCategory.GE
