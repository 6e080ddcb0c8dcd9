"""Appending heralded noise with its herald detector, following the convention of `protocols.codes.hooks`."""

from __future__ import annotations

from collections.abc import Sequence

import stim

from protocols.codes.hooks import HERALD_COORD


class HeraldWriter:
    """Appends heralded instructions, each followed at once by `DETECTOR(x, y, t, HERALD_COORD) rec[-1]`.

    `x, y` are the qubit's coordinates from the circuit's QUBIT_COORDS (else `(q, 0)`); `t` is the round index
    last announced through `set_round`, plus `round_offset`. Detector coordinates are written relative to the
    circuit's accumulated SHIFT_COORDS so that their absolute values are `(x, y, t, HERALD_COORD)`.
    One writer follows one circuit at a time; a different circuit object starts over (round 0, fresh caches).
    """

    def __init__(self) -> None:
        self._circuit_id: int | None = None
        self._round = 0
        self._coords: dict[int, list[float]] = {}
        self._coords_len = -1
        self._shift = [0.0, 0.0, 0.0, 0.0]
        self._shift_len = 0

    def set_round(self, circuit: stim.Circuit, round_index: int) -> None:
        """Record that the builder has reached round `round_index` of `circuit`."""
        self._follow(circuit)
        self._round = round_index

    def append(
        self,
        circuit: stim.Circuit,
        name: str,
        qubits: Sequence[int],
        args: Sequence[float],
        round_offset: int = 0,
    ) -> None:
        """Append `name(args)` on each qubit, each instruction followed by its herald detector."""
        self._follow(circuit)
        shift = self._current_shift(circuit)
        # One parsed block instead of two appends per qubit: stim's append costs tens of microseconds per call.
        # repr() of a float round-trips exactly, so the block holds exactly these probabilities and coordinates.
        arg_text = ",".join(repr(float(a)) for a in args)
        t = float(self._round + round_offset) - shift[2]
        h = HERALD_COORD - shift[3]
        lines = []
        for q in qubits:
            q = int(q)
            x, y = self._qubit_xy(circuit, q)
            lines.append(f"{name}({arg_text}) {q}")
            lines.append(f"DETECTOR({x - shift[0]!r},{y - shift[1]!r},{t!r},{h!r}) rec[-1]")
        if lines:
            circuit += stim.Circuit("\n".join(lines))
            self._shift_len = len(circuit)  # the block holds no SHIFT_COORDS

    def _follow(self, circuit: stim.Circuit) -> None:
        if id(circuit) != self._circuit_id:
            self._circuit_id = id(circuit)
            self._round = 0
            self._coords = {}
            self._coords_len = -1
            self._shift = [0.0, 0.0, 0.0, 0.0]
            self._shift_len = 0

    def _qubit_xy(self, circuit: stim.Circuit, q: int) -> tuple[float, float]:
        # Re-read coordinates only when the circuit grew since the last read and the qubit is unknown:
        # get_final_qubit_coordinates walks the whole circuit, so reading it per call would be quadratic.
        if q not in self._coords and len(circuit) != self._coords_len:
            self._coords = circuit.get_final_qubit_coordinates()
            self._coords_len = len(circuit)
        c = self._coords.get(q)
        if c is None or len(c) < 2:
            return float(q), 0.0
        return float(c[0]), float(c[1])

    def _current_shift(self, circuit: stim.Circuit) -> list[float]:
        # Accumulate SHIFT_COORDS incrementally over the top-level instructions appended since the last call.
        n = len(circuit)
        for k in range(self._shift_len, n):
            _add_shift(self._shift, circuit[k], 1)
        self._shift_len = n
        return self._shift


def _add_shift(total: list[float], op: stim.CircuitInstruction | stim.CircuitRepeatBlock, times: int) -> None:
    if isinstance(op, stim.CircuitRepeatBlock):
        for inner in op.body_copy():
            _add_shift(total, inner, times * op.repeat_count)
    elif op.name == "SHIFT_COORDS":
        for i, a in enumerate(op.gate_args_copy()[:4]):
            total[i] += a * times
