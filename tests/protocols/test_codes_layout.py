"""Layouts are valid stabiliser codes: commuting checks, d^2 - 1 independent, one logical qubit."""

from __future__ import annotations

import numpy as np
import pytest
import stim

from protocols.codes import CodeSpec, layout


def pauli(n: int, support) -> stim.PauliString:
    s = stim.PauliString(n)
    for q, p in support:
        s[q] = p
    return s


def gf2_rank(rows: np.ndarray) -> int:
    m = rows.copy() % 2
    rank = 0
    for col in range(m.shape[1]):
        pivot = next((r for r in range(rank, m.shape[0]) if m[r, col]), None)
        if pivot is None:
            continue
        m[[rank, pivot]] = m[[pivot, rank]]
        for r in range(m.shape[0]):
            if r != rank and m[r, col]:
                m[r] ^= m[rank]
        rank += 1
    return rank


@pytest.mark.parametrize("family", ["rotated_surface", "xzzx"])
@pytest.mark.parametrize("d", [3, 5, 7])
def test_rotated_layouts_are_codes_with_one_logical_qubit(family: str, d: int) -> None:
    lay = layout(CodeSpec(family, d, 1))
    n = max(lay.all_qubits) + 1
    assert lay.num_physical_qubits == 2 * d * d - 1
    assert len(lay.data_qubits) == d * d and len(lay.ancillas) == d * d - 1
    assert len(lay.x_ancillas) == len(lay.z_ancillas) == (d * d - 1) // 2
    assert set(lay.coords) == set(lay.all_qubits)
    assert len(lay.schedule) == 4
    for layer in lay.schedule:
        used = [q for a, dq, _ in layer for q in (a, dq)]
        assert len(used) == len(set(used)), "a qubit acts twice in one layer"
    checks = [pauli(n, lay.check_support(a)) for a in lay.ancillas]
    assert sorted(len(lay.check_support(a)) for a in lay.ancillas) == [2] * (2 * d - 2) + [4] * (d - 1) ** 2
    assert all(a.commutes(b) for a in checks for b in checks)
    lx, lz = pauli(n, lay.logical_x), pauli(n, lay.logical_z)
    assert all(lx.commutes(s) and lz.commutes(s) for s in checks)
    assert not lx.commutes(lz)
    assert len(lay.logical_x) == len(lay.logical_z) == d
    # d^2 - 1 independent checks on d^2 qubits: exactly one logical qubit.
    sym = np.array([np.concatenate(s.to_numpy()) for s in checks], dtype=np.uint8)
    assert gf2_rank(sym) == d * d - 1
    # Data qubits at odd coordinates, ancillas at even ones.
    assert all(x % 2 == 1 and y % 2 == 1 for x, y in (lay.coords[q] for q in lay.data_qubits))
    assert all(x % 2 == 0 and y % 2 == 0 for x, y in (lay.coords[q] for q in lay.ancillas))


def test_surface_checks_are_css_and_xzzx_checks_are_xzzx() -> None:
    surface, xzzx = layout(CodeSpec("rotated_surface", 5, 1)), layout(CodeSpec("xzzx", 5, 1))
    assert surface.data_qubits == xzzx.data_qubits and surface.coords == xzzx.coords
    for a in surface.x_ancillas:
        assert {p for _, p in surface.check_support(a)} == {"X"}
    for a in surface.z_ancillas:
        assert {p for _, p in surface.check_support(a)} == {"Z"}
    for a in xzzx.ancillas:
        ax, ay = xzzx.coords[a]
        for q, p in xzzx.check_support(a):
            dx, dy = xzzx.coords[q][0] - ax, xzzx.coords[q][1] - ay
            assert p == ("X" if dx == dy else "Z")
        if len(xzzx.check_support(a)) == 4:
            assert sorted(p for _, p in xzzx.check_support(a)) == ["X", "X", "Z", "Z"]


def test_layout_value_semantics() -> None:
    spec = CodeSpec("rotated_surface", 3, 2)
    assert layout(spec) == layout(spec)
    assert layout(spec).spec == spec
    assert layout(spec) != layout(CodeSpec("rotated_surface", 5, 2))
