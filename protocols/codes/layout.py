"""`CodeLayout`: where every qubit of a code sits, which ancilla checks which data qubit, and when.

Qubit indices and coordinates follow stim's generated circuits (`stim.Circuit.generated`), so a
circuit of this package and stim's reference circuit name the same qubit by the same index:

- rotated surface / XZZX, distance d: data qubit at (2i+1, 2j+1) for i, j in 0..d-1, ancillas at even
  coordinates (2a, 2b); index = x + (y // 2) * (2d + 1).
- repetition, distance d: data qubit i at (2i, 0) with index 2i, ancilla i at (2i+1, 0) with index 2i+1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from protocols.codes.spec import CodeSpec

Pauli = Literal["X", "Z"]

#: One entangling step of the schedule: (ancilla, data qubit, Pauli the ancilla's check applies to it).
Interaction = tuple[int, int, Pauli]

# Order in which an ancilla visits its data neighbours (offsets (dx, dy) from the ancilla, y growing
# downwards), as in stim's generated rotated surface code circuits: X checks take their two lower
# neighbours first, Z checks their two right neighbours first. The two-qubit hook error left by a
# fault half-way through a check then lies perpendicular to the logical operator it could shorten,
# so the circuit distance equals d.
_X_ORDER: tuple[tuple[int, int], ...] = ((1, 1), (-1, 1), (1, -1), (-1, -1))
_Z_ORDER: tuple[tuple[int, int], ...] = ((1, 1), (1, -1), (-1, 1), (-1, -1))


@dataclass(frozen=True)
class CodeLayout:
    """Qubits, coordinates and entangling schedule of one code.

    - `data_qubits`, `x_ancillas`, `z_ancillas`: stim qubit indices, each sorted ascending. For XZZX,
      whose checks are all of XZZX type, `x_ancillas` are the checks that are deterministic in an
      X-basis memory and `z_ancillas` those deterministic in a Z-basis memory (the positions of the X
      and Z checks of the rotated surface code it is locally equivalent to).
    - `coords`: qubit index -> (x, y) coordinate, in lattice units (data qubits 2 apart).
    - `schedule`: layers of interactions (ancilla, data, Pauli); layers run one after another, each
      qubit appears at most once per layer. Surface code and XZZX: 4 layers; repetition code: 2.
    - `logical_x`, `logical_z`: the logical operators as (data qubit, Pauli) pairs.
    """

    spec: CodeSpec
    data_qubits: tuple[int, ...]
    x_ancillas: tuple[int, ...]
    z_ancillas: tuple[int, ...]
    coords: Mapping[int, tuple[float, float]] = field(hash=False)
    schedule: tuple[tuple[Interaction, ...], ...]
    logical_x: tuple[tuple[int, Pauli], ...]
    logical_z: tuple[tuple[int, Pauli], ...]

    @property
    def ancillas(self) -> tuple[int, ...]:
        """All ancilla qubits, sorted ascending (the order they are measured in)."""
        return tuple(sorted(self.x_ancillas + self.z_ancillas))

    @property
    def all_qubits(self) -> tuple[int, ...]:
        """Every qubit of the code, sorted ascending."""
        return tuple(sorted(self.data_qubits + self.x_ancillas + self.z_ancillas))

    @property
    def num_physical_qubits(self) -> int:
        """Number of physical qubits (data plus ancilla)."""
        return len(self.data_qubits) + len(self.x_ancillas) + len(self.z_ancillas)

    def check_support(self, ancilla: int) -> tuple[tuple[int, Pauli], ...]:
        """The (data qubit, Pauli) pairs of the check measured by `ancilla`, in schedule order."""
        return tuple((q, p) for layer in self.schedule for a, q, p in layer if a == ancilla)


def layout(spec: CodeSpec) -> CodeLayout:
    """The layout of the code `spec` describes."""
    if spec.family == "repetition":
        return _repetition_layout(spec)
    return _rotated_layout(spec, xzzx=spec.family == "xzzx")


def _repetition_layout(spec: CodeSpec) -> CodeLayout:
    d = spec.distance
    data = tuple(2 * i for i in range(d))
    anc = tuple(2 * i + 1 for i in range(d - 1))
    coords = {q: (float(q), 0.0) for q in range(2 * d - 1)}
    p: Pauli = spec.basis  # bit-flip code: ZZ checks; phase-flip code: XX checks
    other: Pauli = "X" if p == "Z" else "Z"
    schedule = (
        tuple((a, a - 1, p) for a in anc),
        tuple((a, a + 1, p) for a in anc),
    )
    # The protected logical is a single-qubit operator (stim's generated circuit uses the last data
    # qubit); its conjugate is the product over all data qubits.
    single = ((data[-1], p),)
    full = tuple((q, other) for q in data)
    return CodeLayout(
        spec=spec,
        data_qubits=data,
        x_ancillas=anc if p == "X" else (),
        z_ancillas=anc if p == "Z" else (),
        coords=MappingProxyType(coords),
        schedule=schedule,
        logical_x=single if p == "X" else full,
        logical_z=single if p == "Z" else full,
    )


def _rotated_layout(spec: CodeSpec, *, xzzx: bool) -> CodeLayout:
    d = spec.distance

    def index(x: int, y: int) -> int:
        return x + (y // 2) * (2 * d + 1)

    data_xy = [(2 * i + 1, 2 * j + 1) for i in range(d) for j in range(d)]
    x_xy: list[tuple[int, int]] = []
    z_xy: list[tuple[int, int]] = []
    for a in range(d + 1):
        for b in range(d + 1):
            x_type = (a % 2) != (b % 2)
            if (a in (0, d)) and x_type:
                continue  # left/right boundaries carry only Z checks
            if (b in (0, d)) and not x_type:
                continue  # top/bottom boundaries carry only X checks
            (x_xy if x_type else z_xy).append((2 * a, 2 * b))

    data_set = set(data_xy)
    x_set = set(x_xy)

    def pauli(anc: tuple[int, int], dat: tuple[int, int]) -> Pauli:
        if xzzx:
            # XZZX check: X on the corners along the main diagonal, Z on the anti-diagonal corners.
            dx, dy = dat[0] - anc[0], dat[1] - anc[1]
            return "X" if dx == dy else "Z"
        return "X" if anc in x_set else "Z"

    ancillas_xy = sorted(x_xy + z_xy, key=lambda c: index(*c))
    schedule = []
    for k in range(4):
        layer = []
        for m in ancillas_xy:
            dx, dy = (_X_ORDER if m in x_set else _Z_ORDER)[k]
            dat = (m[0] + dx, m[1] + dy)
            if dat in data_set:
                layer.append((index(*m), index(*dat), pauli(m, dat)))
        schedule.append(tuple(layer))

    def conj(xy: tuple[int, int], p: Pauli) -> Pauli:
        # XZZX = the CSS code conjugated by H on the data qubits (2i+1, 2j+1) with i = j (mod 2).
        i, j = (xy[0] - 1) // 2, (xy[1] - 1) // 2
        if xzzx and i % 2 == j % 2:
            return "Z" if p == "X" else "X"
        return p

    coords = {index(*c): (float(c[0]), float(c[1])) for c in data_xy + x_xy + z_xy}
    return CodeLayout(
        spec=spec,
        data_qubits=tuple(sorted(index(*c) for c in data_xy)),
        x_ancillas=tuple(sorted(index(*c) for c in x_xy)),
        z_ancillas=tuple(sorted(index(*c) for c in z_xy)),
        coords=MappingProxyType(dict(sorted(coords.items()))),
        schedule=tuple(schedule),
        # Surface code: X along the left column, Z along the top row (as stim's generated circuits).
        logical_x=tuple((index(*c), conj(c, "X")) for c in data_xy if c[0] == 1),
        logical_z=tuple((index(*c), conj(c, "Z")) for c in data_xy if c[1] == 1),
    )
