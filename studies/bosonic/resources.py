"""Bosonic resources per logical qubit at a target logical error rate: modes and mean photons.

Counting (per logical qubit, data plus ancilla): surface codes use 2 d^2 - 1 qubits, the repetition code 2 d - 1.
A GKP qubit is one mode holding n = 1/(2 Delta^2) - 1/2 photons on average, Delta^2 = 2 sigma^2 the envelope
width of the finite-energy state (Tzitrin, Bourassa, Menicucci, Sabapathy, PRA 101, 032315 (2020); sigma^2 =
Delta^2/2 in the convention of `emulator.physics.bosonic.gkp`); a cat qubit is one mode with |alpha|^2 photons;
a dual-rail qubit is two modes sharing one photon. Distances come from the Lambda extrapolation of
`studies.overhead` (per-round rates); the repetition-cat total adds the exact bit part to the extrapolated phase part.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from studies.bosonic.cat_repetition import bit_part, combine_parts
from studies.overhead import MAX_DISTANCE, distance_for_target, fit_lambda
from studies.points import Points

__all__ = ["ResourceRow", "cat_resources", "gkp_mean_photons", "surface_resources"]


@dataclass(frozen=True)
class ResourceRow:
    """Resources of one code at one operating point; `reachable` False leaves the counts None with a reason."""

    code: str
    parameter: str
    value: float
    target: float
    reachable: bool
    distance: int | None
    modes: int | None
    mean_photons_per_mode: float
    photons: float | None
    predicted_logical_error_rate: float | None
    reason: str

    def to_json(self) -> dict:
        """JSON-ready dict."""
        return asdict(self)


def gkp_mean_photons(sigma: float) -> float:
    """Mean photon number 1/(4 sigma^2) - 1/2 of a finite-energy GKP state with peak std sigma (>= 0)."""
    return max(1.0 / (4.0 * sigma * sigma) - 0.5, 0.0)


def surface_resources(
    points: Points, code: str, parameter: str, value: float, target: float, photons_per_qubit: float,
    modes_per_qubit: int = 1, threshold_ci_low: float | None = None,
) -> ResourceRow:
    """Distance, modes and photons a surface code of bosonic qubits needs at `value` of its swept parameter.

    A `value` at or above the lower end of the fitted threshold's CI is out of reach whatever its Lambda (per-round
    rates with rounds = d can show Lambda > 1 above threshold), as in `studies.report.overhead_entry`.
    """
    def qubits(d: int) -> int:
        return 2 * d * d - 1

    per_mode = photons_per_qubit / modes_per_qubit
    fit = fit_lambda(points, value, "per_round")
    if fit is None:
        return ResourceRow(code, parameter, value, target, False, None, None, per_mode, None, None,
                           "fewer than two distances with observed logical errors at this point")
    if threshold_ci_low is not None and value >= threshold_ci_low:
        return ResourceRow(code, parameter, value, target, False, None, None, per_mode, None, None,
                           f"{parameter} = {value:g} is not below the fitted threshold (CI lower end "
                           f"{threshold_ci_low:.4g})")
    need = distance_for_target(fit, target, qubits)
    if not need.reachable or need.distance is None:
        return ResourceRow(code, parameter, value, target, False, None, None, per_mode, None, None, need.reason)
    n = qubits(need.distance)
    return ResourceRow(code, parameter, value, target, True, need.distance, modes_per_qubit * n, per_mode,
                       photons_per_qubit * n, need.predicted_rate, f"Lambda = {fit.lam:.3g}; {need.reason}")


def cat_resources(phase_points: Points, p_bit: dict[float, float], target: float) -> list[ResourceRow]:
    """Per |alpha|^2 (the swept p of `phase_points`): smallest d whose total per-round failure meets `target`."""
    rows = []
    for a2 in np.unique(phase_points.p):
        a2 = float(a2)
        pb = p_bit[a2]
        fit = fit_lambda(phase_points, a2, "per_round")
        if fit is None:
            rows.append(ResourceRow("repetition-cat", "alpha2", a2, target, False, None, None, a2, None, None,
                                    "phase part: fewer than two distances with observed errors; collect more shots"))
            continue
        found = None
        for d in range(3, MAX_DISTANCE + 1, 2):
            total = float(combine_parts(fit.predict(d), bit_part(pb, d)))
            if total <= target:
                found = (d, total)
                break
            if float(bit_part(pb, d)) > target:
                break  # the bit part only grows with d
        if found is None:
            rows.append(ResourceRow("repetition-cat", "alpha2", a2, target, False, None, None, a2, None, None,
                                    f"bit part d p_b (p_b = {pb:.3g}) or phase part keeps the rate above target"))
            continue
        d, total = found
        rows.append(ResourceRow("repetition-cat", "alpha2", a2, target, True, d, 2 * d - 1, a2, (2 * d - 1) * a2,
                                total, f"phase Lambda = {fit.lam:.3g}, p_bit = {pb:.3g} per round"))
    return rows
