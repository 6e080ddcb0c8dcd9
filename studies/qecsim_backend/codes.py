"""The codes of the qecsim backend by name, each built once per distance with its size facts.

`xzzx` is the rotated planar code with a Hadamard on every site (x, y) with x + y odd (Bonilla Ataides
et al., Nat. Commun. 12, 2172 (2021)): qecsim 1.0b9 has no XZZX class, so the backend keeps the CSS
rotated planar code as the decoding frame and maps each physical error into it (X <-> Z on those sites).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from protocols.errors import ConfigError
from studies.qecsim_backend.errors import qecsim_errors

CodeFamily = Literal["rotated_planar", "planar", "toric", "color666", "xzzx"]
CODE_FAMILIES: tuple[str, ...] = ("rotated_planar", "planar", "toric", "color666", "xzzx")


@dataclass(frozen=True)
class QecsimCode:
    """One code at one distance: the qecsim code object and the sites whose X and Z are exchanged.

    `deformed` is bool, shape (n,), indexed like qecsim's binary symplectic columns (X part 0..n-1, Z part
    n..2n-1): True where the physical code applies a Hadamard relative to the qecsim code (XZZX only).
    """

    family: str
    distance: int
    code: object = field(repr=False)
    deformed: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        """Number of data qubits."""
        return int(self.code.n_k_d[0])

    @property
    def num_checks(self) -> int:
        """Number of stabilizer generators qecsim lists (each a syndrome bit)."""
        return int(self.code.stabilizers.shape[0])


def build_code(family: str, d: int) -> QecsimCode:
    """The qecsim code of `family` at distance d (odd, >= 3)."""
    if family not in CODE_FAMILIES:
        raise ConfigError(f"qecsim backend: code family {family!r} is unknown; allowed: {list(CODE_FAMILIES)}")
    if d < 3 or d % 2 == 0:
        raise ConfigError(f"qecsim backend: distance {d} is out of range; allowed: odd integers >= 3")
    from qecsim.models.color import Color666Code
    from qecsim.models.planar import PlanarCode
    from qecsim.models.rotatedplanar import RotatedPlanarCode
    from qecsim.models.toric import ToricCode

    with qecsim_errors(f"building the {family} code at d={d}"):
        code = {"rotated_planar": RotatedPlanarCode, "xzzx": RotatedPlanarCode, "planar": PlanarCode,
                "toric": ToricCode}.get(family, None)
        code = Color666Code(d) if code is None else code(d, d)
        n = int(code.n_k_d[0])
        deformed = np.zeros(n, dtype=bool)
        if family == "xzzx":
            max_x, max_y = code.site_bounds
            for x in range(max_x + 1):
                for y in range(max_y + 1):
                    if (x + y) % 2 == 1:
                        deformed |= code.new_pauli().site("X", (x, y)).to_bsf()[:n].astype(bool)
    return QecsimCode(family, d, code, deformed)


def physical_qubits(family: str) -> Callable[[int], int]:
    """Data qubits plus one ancilla per stabilizer generator at distance d, in closed form (any d)."""
    forms: dict[str, Callable[[int], int]] = {
        "rotated_planar": lambda d: 2 * d * d - 1,
        "xzzx": lambda d: 2 * d * d - 1,
        "planar": lambda d: (d * d + (d - 1) ** 2) + 2 * d * (d - 1),
        "toric": lambda d: 4 * d * d,
        "color666": lambda d: (3 * d * d + 1) // 4 + (3 * d * d - 3) // 4,
    }
    if family not in forms:
        raise ConfigError(f"qecsim backend: code family {family!r} is unknown; allowed: {list(CODE_FAMILIES)}")
    return forms[family]
