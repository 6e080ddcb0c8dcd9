"""The memory-experiment circuit every code family shares: prepare, extract syndromes, measure.

The builder emits ideal operations only and calls the `NoiseHooks` at each place noise acts. Every
measurement-record lookback is computed from absolute measurement indices read from
`circuit.num_measurements` when the measurement is appended, because hooks may append measurements
(heralds) of their own anywhere.

Preparation: QUBIT_COORDS ; R / RX data ; after_reset(data) ; R ancillas ; after_reset(ancillas).
Each round (TICK between layers):
  round_start(data) ; H on ancillas that measure a check with an X part ; after_1q_layer
  for each schedule layer: CX/CZ ; after_2q_layer(pairs as (control, target), idle)
  H on the same ancillas ; after_1q_layer ; before_measure(ancillas) ; MR ; after_reset(ancillas)
  detectors (x, y, t=round)
then TICK ; before_measure(data) ; M / MX ; final detectors (x, y, t=rounds) ; OBSERVABLE_INCLUDE(0)

Gates: an ancilla whose check is all-Z stays in Z and collects parities with CX data -> ancilla (as
stim's generated circuits do); any other ancilla is prepared in |+> by H and applies its check
controlled on itself: CX ancilla -> data for X, CZ ancilla, data for Z.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import stim

from protocols.codes.hooks import Basis, NoiseHooks
from protocols.codes.layout import CodeLayout, Pauli
from protocols.errors import CodeError


def build_memory(
    lay: CodeLayout,
    noise: NoiseHooks,
    data_basis: Mapping[int, Basis],
    checks: Sequence[int],
    observable: Sequence[int],
) -> stim.Circuit:
    """Memory circuit of `lay`: data prepared and measured in `data_basis`, `checks` deterministic.

    `checks` are the ancillas whose check is a product of the single-qubit preparations (detectors
    from round 0) and of the final data measurements (final detectors); `observable` the data qubits
    whose final outcomes form logical observable 0.
    """
    rounds = lay.spec.rounds
    all_qubits = lay.all_qubits
    ancillas = lay.ancillas
    supports = {a: lay.check_support(a) for a in ancillas}
    for a in checks:
        for q, p in supports[a]:
            if data_basis[q] != p:
                raise CodeError(
                    f"{lay.spec!r}: check of ancilla {a} applies {p} to data qubit {q}, which is "
                    f"prepared in basis {data_basis[q]}; the check cannot be deterministic"
                )
    checks_set = set(checks)
    h_ancillas = tuple(a for a in ancillas if any(p == "X" for _, p in supports[a]))
    by_basis: dict[Basis, list[int]] = {"Z": [], "X": []}
    for q in lay.data_qubits:
        by_basis[data_basis[q]].append(q)

    c = stim.Circuit()
    for q, (x, y) in lay.coords.items():
        _op(c, "QUBIT_COORDS", [q], (x, y))

    for basis, qs in by_basis.items():
        if qs:
            _op(c, "R" if basis == "Z" else "RX", qs)
            noise.after_reset(c, qs, basis, "data")
    _op(c, "R", ancillas)
    noise.after_reset(c, ancillas, "Z", "ancilla")

    last: dict[int, int] = {}  # ancilla -> absolute index of its latest measurement
    for r in range(rounds):
        _op(c, "TICK")
        noise.round_start(c, lay.data_qubits, r)
        if h_ancillas:
            _h_layer(c, noise, h_ancillas, all_qubits)
        for layer in lay.schedule:
            _entangling_layer(c, noise, layer, h_ancillas, all_qubits)
        if h_ancillas:
            _h_layer(c, noise, h_ancillas, all_qubits)
        noise.before_measure(c, ancillas, "Z", "ancilla")
        base = c.num_measurements
        _op(c, "MR", ancillas)
        now = {a: base + k for k, a in enumerate(ancillas)}
        noise.after_reset(c, ancillas, "Z", "ancilla")
        _detectors(
            c,
            [
                ([now[a]] if r == 0 else [now[a], last[a]], (*lay.coords[a], float(r)))
                for a in ancillas
                if r > 0 or a in checks_set
            ],
        )
        last = now

    # The final data readout is a time step of its own (readout frames are delimited by TICKs).
    _op(c, "TICK")
    final: dict[int, int] = {}
    for basis, qs in by_basis.items():
        if qs:
            noise.before_measure(c, qs, basis, "data")
            base = c.num_measurements
            _op(c, "M" if basis == "Z" else "MX", qs)
            final.update({q: base + k for k, q in enumerate(qs)})
    _detectors(
        c, [([final[q] for q, _ in supports[a]] + [last[a]], (*lay.coords[a], float(rounds))) for a in checks]
    )
    n = c.num_measurements
    _op(c, "OBSERVABLE_INCLUDE", [f"rec[{final[q] - n}]" for q in observable], (0,))
    return c


def _line(name: str, targets: Sequence[object] = (), args: Sequence[float] = ()) -> str:
    head = f"{name}({', '.join(repr(float(a)) for a in args)})" if args else name
    return " ".join([head, *map(str, targets)])


def _op(c: stim.Circuit, name: str, targets: Sequence[object] = (), args: Sequence[float] = ()) -> None:
    # Appending as program text: `Circuit.append` with a Python list costs ~20 us per target in
    # stim 1.16, which made building a d = 21 circuit take seconds.
    c.append_from_stim_program_text(_line(name, targets, args))


def _detectors(c: stim.Circuit, detectors: Sequence[tuple[Sequence[int], tuple[float, ...]]]) -> None:
    """Append DETECTORs given as (absolute measurement indices, coordinates)."""
    n = c.num_measurements
    lines = [
        _line("DETECTOR", [f"rec[{k - n}]" for k in sorted(absolute, reverse=True)], coords)
        for absolute, coords in detectors
    ]
    c.append_from_stim_program_text("\n".join(lines))


def _h_layer(c: stim.Circuit, noise: NoiseHooks, qubits: Sequence[int], all_qubits: Sequence[int]) -> None:
    busy = set(qubits)
    _op(c, "H", qubits)
    noise.after_1q_layer(c, qubits, [q for q in all_qubits if q not in busy])
    _op(c, "TICK")


def _entangling_layer(
    c: stim.Circuit,
    noise: NoiseHooks,
    layer: Sequence[tuple[int, int, Pauli]],
    h_ancillas: Sequence[int],
    all_qubits: Sequence[int],
) -> None:
    controlled = set(h_ancillas)
    cx: list[tuple[int, int]] = []
    cz: list[tuple[int, int]] = []
    for a, q, p in layer:
        if a not in controlled:
            cx.append((q, a))  # all-Z check: parity collected on the ancilla
        elif p == "X":
            cx.append((a, q))
        else:
            cz.append((a, q))
    for gate, gate_pairs in (("CX", cx), ("CZ", cz)):
        if gate_pairs:
            _op(c, gate, [q for pair in gate_pairs for q in pair])
    pairs = cx + cz
    busy = {q for pair in pairs for q in pair}
    noise.after_2q_layer(c, pairs, [q for q in all_qubits if q not in busy])
    _op(c, "TICK")
