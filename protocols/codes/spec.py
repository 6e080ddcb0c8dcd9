"""`CodeSpec`: which code family, distance, number of rounds and memory basis a circuit is built for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from protocols.errors import CodeError

Family = Literal["rotated_surface", "repetition", "xzzx"]

#: Code families this package can build, in the order they are documented.
FAMILIES: tuple[str, ...] = ("rotated_surface", "repetition", "xzzx")
BASES: tuple[str, ...] = ("X", "Z")


@dataclass(frozen=True)
class CodeSpec:
    """A memory experiment: code `family`, code `distance`, `rounds` of syndrome extraction, logical `basis`.

    - rotated_surface, xzzx: odd distance >= 3 (d x d data qubits).
    - repetition: distance >= 2 (d data qubits); basis "Z" is the bit-flip code (ZZ checks, protects
      against X flips), basis "X" its Hadamard image, the phase-flip code (XX checks, protects against Z).
    """

    family: Family
    distance: int
    rounds: int
    basis: Literal["X", "Z"] = "Z"

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise CodeError(f"CodeSpec.family: {self.family!r} is not a code family; allowed: {FAMILIES}")
        if self.basis not in BASES:
            raise CodeError(f"CodeSpec.basis: {self.basis!r} is not a basis; allowed: 'X' or 'Z'")
        for name in ("distance", "rounds"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise CodeError(f"CodeSpec.{name}: {value!r} is not an integer")
        if self.rounds < 1:
            raise CodeError(f"CodeSpec.rounds: {self.rounds} is out of range; allowed: integer >= 1")
        if self.family == "repetition":
            if self.distance < 2:
                raise CodeError(
                    f"CodeSpec.distance: {self.distance} is out of range for the repetition code; "
                    "allowed: integer >= 2"
                )
        elif self.distance < 3 or self.distance % 2 == 0:
            raise CodeError(
                f"CodeSpec.distance: {self.distance} is out of range for the {self.family} code; "
                "allowed: odd integer >= 3"
            )
