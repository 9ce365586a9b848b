"""Identifiers drawn from the generator's random source: UUIDs, and SIREN/SIRET numbers
with a correct Luhn key (what `stdnum.fr.siren` and `stdnum.fr.siret` validate)."""

import random
import uuid

from stdnum import luhn


def new_id(rng: random.Random) -> uuid.UUID:
    """A version-4 UUID from `rng` (the same seed, the same ids)."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def siren(rng: random.Random) -> str:
    """A valid SIREN (8 digits and the Luhn key); never starting with 0."""
    body = str(rng.randrange(10_000_000, 100_000_000))
    return body + luhn.calc_check_digit(body)


def siret(rng: random.Random, of: str) -> str:
    """A valid SIRET of an establishment of `of` (its NIC, then the Luhn key)."""
    body = of + f"{rng.randrange(1, 10_000):04d}"
    return body + luhn.calc_check_digit(body)


def split(rng: random.Random, total: int, parts: int, *, minimum: int = 1) -> list[int]:
    """`parts` integers of at least `minimum` adding up to `total` exactly, of uneven sizes."""
    if parts == 0:
        return []
    spare = total - minimum * parts
    if spare < 0:
        raise ValueError(f"{total} cannot be split into {parts} parts of at least {minimum}")
    weights = [rng.lognormvariate(0, 0.8) for _ in range(parts)]
    scale = spare / sum(weights)
    values = [minimum + int(weight * scale) for weight in weights]
    for index in rng.sample(range(parts), total - sum(values)):
        values[index] += 1
    return values
