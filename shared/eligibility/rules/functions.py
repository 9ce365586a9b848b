"""Pure domain helpers of the rule language: NAF sections, month arithmetic, code checks."""

import re
from datetime import date, datetime

_SECTION_RANGES = (
    ("A", 1, 3),
    ("B", 5, 9),
    ("C", 10, 33),
    ("D", 35, 35),
    ("E", 36, 39),
    ("F", 41, 43),
    ("G", 45, 47),
    ("H", 49, 53),
    ("I", 55, 56),
    ("J", 58, 63),
    ("K", 64, 66),
    ("L", 68, 68),
    ("M", 69, 75),
    ("N", 77, 82),
    ("O", 84, 84),
    ("P", 85, 85),
    ("Q", 86, 88),
    ("R", 90, 93),
    ("S", 94, 96),
    ("T", 97, 98),
    ("U", 99, 99),
)
NAF_SECTION_BY_DIVISION = {
    f"{division:02d}": section
    for section, low, high in _SECTION_RANGES
    for division in range(low, high + 1)
}
"""NAF rev. 2: the two-digit division determines the section letter (A–U)."""

_COMMUNE = re.compile(
    r"^(?:(?:0[1-9]|1[0-9]|2[1-9]|[3-8][0-9]|9[0-5])[0-9]{3}|2[AB][0-9]{3}|97[1-6][0-9]{2})$"
)


def naf_section(code: str) -> str | None:
    """The NAF section letter of a code such as "25.62B" or "2562B"; None if the division
    is not a NAF rev. 2 division.
    """
    return NAF_SECTION_BY_DIVISION.get(code[:2])


def as_date(value: date) -> date:
    """A date, taking the calendar date of a datetime (in its own time zone)."""
    return value.date() if isinstance(value, datetime) else value


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _MONTH_DAYS[month - 1]


def months_between(start: date, end: date) -> float:
    """Calendar months from `start` to `end`: whole months, then the remaining days as a
    fraction of the following month; negative when `end` is before `start`.

    From 1 March 2027 to 1 March 2029 is exactly 24; datetimes count by their date. Adding
    n months keeps the day of the month, or the month's last day when it is shorter.
    """
    if type(start) is not date:
        start = as_date(start)
    if type(end) is not date:
        end = as_date(end)
    if end < start:
        return -months_between(end, start)
    whole = (end.year - start.year) * 12 + end.month - start.month
    year, month, day, end_day = end.year, end.month, start.day, end.day
    length = _days_in_month(year, month)
    anchor = day if day < length else length  # start plus `whole` months, in end's month
    if anchor == end_day:
        return float(whole)
    if anchor < end_day:
        following = day if day <= 28 else min(day, _days_in_month(*_next_month(year, month)))
        return whole + (end_day - anchor) / (length - anchor + following)
    # start plus `whole` months falls after `end`: count from the month before
    earlier_length = _days_in_month(*_previous_month(year, month))
    earlier = day if day < earlier_length else earlier_length
    return whole - 1 + (earlier_length - earlier + end_day) / (earlier_length - earlier + anchor)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


_DOUBLED = bytes.maketrans(b"0123456789", bytes((48, 50, 52, 54, 56, 49, 51, 53, 55, 57)))
_LA_POSTE_SIREN = "356000000"
_LA_POSTE_HEAD_OFFICE = "35600000000048"


def _luhn(digits: bytes) -> bool:
    kept, doubled = digits[-1::-2], digits[-2::-2].translate(_DOUBLED)
    return (sum(kept) + sum(doubled) - 48 * len(digits)) % 10 == 0


def valid_siret(value: str) -> bool:
    """Whether a SIRET is well formed, as `stdnum.fr.siret.is_valid` decides (spaces and dots
    ignored; 14 digits; Luhn, or for La Poste establishments a digit sum divisible by 5; a
    valid SIREN), written out because it runs once per evaluation.
    """
    number = value.replace(" ", "").replace(".", "")
    if len(number) != 14 or not (number.isascii() and number.isdigit()):
        return False
    digits = number.encode("ascii")
    if number.startswith(_LA_POSTE_SIREN) and number != _LA_POSTE_HEAD_OFFICE:
        valid = (sum(digits) - 48 * 14) % 5 == 0
    else:
        valid = _luhn(digits)
    return valid and _luhn(digits[:9])


def valid_commune(value: str) -> bool:
    """Whether a commune INSEE code designates a commune of France (metropolitan, Corsica
    2A/2B, or an overseas department 971–976); checks the format, not the COG vintage.
    """
    return _COMMUNE.match(value) is not None
