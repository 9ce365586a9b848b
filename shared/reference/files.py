"""Reading the CSV files shipped in `shared/reference/data/`."""

import csv
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

DEMO_TERRITORIES = "territories-demo.csv"
DEMO_ZONINGS = "zonings-demo.csv"
AFR_ZONE_A = "zonings-afr-zone-a.csv"
"""Every commune in AFR zone a, 2022–2027 (décret n° 2022-968): loaded by every seed."""


def data_path(name: str) -> Path:
    """Path of a shipped data file."""
    return Path(str(resources.files("shared.reference") / "data" / name))


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) pairs of a UTF-8 CSV file with a header line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            yield (
                reader.line_num,
                {k.strip(): (v or "").strip() for k, v in row.items() if k},
            )


def count_rows(path: Path) -> int:
    """Number of data rows (for progress bars)."""
    with path.open(encoding="utf-8-sig") as handle:
        return max(sum(1 for _ in handle) - 1, 0)
