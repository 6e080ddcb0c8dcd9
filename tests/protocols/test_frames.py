"""The frame layout splits a measurement record into rounds and slots and puts it back together."""

from __future__ import annotations

import numpy as np
import pytest
import stim

from protocols.errors import CodeError
from protocols.frames import FrameLayout


@pytest.mark.parametrize("d", [3, 5])
def test_generated_surface_code_frames(d):
    c = stim.Circuit.generated("surface_code:rotated_memory_z", distance=d, rounds=d)
    lay = FrameLayout.from_circuit(c)
    n_data, n_anc = d * d, d * d - 1
    # stim's generated circuits read the data qubits right after the last round, with no TICK between:
    # they share the last frame.
    assert lay.n_frames == d
    per_frame = (lay.outcome_index >= 0).sum(axis=1)
    assert per_frame.tolist() == [n_anc] * (d - 1) + [n_anc + n_data]
    assert (lay.herald_index == -1).all()
    rec = stim.Circuit.generated(
        "surface_code:rotated_memory_z", distance=d, rounds=d, before_measure_flip_probability=0.2
    ).compile_sampler(seed=3).sample(50).astype(np.uint8)
    outcomes, heralds = lay.to_frames(rec)
    assert np.array_equal(lay.to_record(outcomes, heralds), rec)


def test_heralds_share_the_frame_and_slot_of_their_measurement():
    c = stim.Circuit(
        """
        R 0 1
        TICK
        HERALDED_ERASE(0.5) 0
        CX 0 1
        TICK
        HERALDED_ERASE(0.5) 1
        M 1
        TICK
        HERALDED_ERASE(0.5) 0
        M 0
        """
    )
    lay = FrameLayout.from_circuit(c, qubits=[0, 1])
    assert lay.n_frames == 2
    assert lay.outcome_index.tolist() == [[-1, 2], [4, -1]]
    assert lay.herald_index.tolist() == [[0, 1], [3, -1]]
    rec = c.compile_sampler(seed=1).sample(200).astype(np.uint8)
    o, h = lay.to_frames(rec)
    assert np.array_equal(lay.to_record(o, h), rec)


def test_unmapped_qubit_and_bad_shapes_are_rejected():
    c = stim.Circuit("M 0 1\nTICK\nM 0")
    with pytest.raises(CodeError, match="qubit 1 is measured but has no slot"):
        FrameLayout.from_circuit(c, qubits=[0])
    lay = FrameLayout.from_circuit(c)
    with pytest.raises(CodeError, match=r"shape \(shots, 3\)"):
        lay.to_frames(np.zeros((2, 4), np.uint8))
