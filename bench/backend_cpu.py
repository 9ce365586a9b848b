"""CPU time of the PostgreSQL backends serving one bench database (from /proc), so that
a benchmark's figures leave out what the machine's other databases do meanwhile."""

import os
from pathlib import Path


def now(database: str) -> dict[int, float]:
    """CPU seconds so far of each backend connected to `database`."""
    tick = os.sysconf("SC_CLK_TCK")
    usage: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f" {database} ".encode() not in (entry / "cmdline").read_bytes():
                continue
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        usage[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return usage


def since(before: dict[int, float], database: str) -> float:
    """CPU seconds of the backends of `database` alive now, since `before` (`now`'s)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in now(database).items())
