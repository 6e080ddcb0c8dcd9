"""Grouping sinter stats into per-noise points."""

import numpy as np
import pytest
import sinter

from protocols.errors import StudyError
from studies.points import Points, points_by_noise


def stat(noise, d, p, shots, errors, discards=0, sid="x"):
    meta = {"noise": noise, "d": d, "p": p, "rounds": d}
    return sinter.TaskStats(strong_id=f"{sid}{noise}{d}{p}", decoder="pymatching", json_metadata=meta,
                            shots=shots, errors=errors, discards=discards)


def test_groups_by_noise_and_merges_repeated_rows_sorted_by_d_then_p():
    got = points_by_noise([
        stat("a", 5, 0.1, 100, 7), stat("a", 3, 0.2, 50, 9), stat("a", 3, 0.1, 10, 1),
        stat("a", 3, 0.1, 30, 2, sid="y"), stat("b", 3, 0.1, 10, 0),
    ])
    a = got["a"]
    assert a.d.tolist() == [3, 3, 5] and a.p.tolist() == [0.1, 0.2, 0.1]
    assert a.shots.tolist() == [40, 50, 100] and a.errors.tolist() == [3, 9, 7] and a.rounds.tolist() == [3, 3, 5]
    assert got["b"].shots.tolist() == [10]


def test_discarded_shots_do_not_count():
    got = points_by_noise([stat("a", 3, 0.1, 100, 5, discards=40), stat("a", 5, 0.1, 10, 0, discards=10)])
    assert got["a"].shots.tolist() == [60] and got["a"].d.tolist() == [3]


def test_metadata_without_keys_is_a_study_error():
    bad = sinter.TaskStats(strong_id="z", decoder="pymatching", json_metadata={"d": 3}, shots=1, errors=0)
    with pytest.raises(StudyError, match="noise/d/p/rounds"):
        points_by_noise([bad])


def test_errors_above_shots_rejected():
    with pytest.raises(StudyError, match="errors must lie"):
        Points.from_arrays([3], [0.1], [10], [11], 1)
    assert isinstance(Points.from_arrays([3], [0.1], [10], [1], 1).rounds, np.ndarray)
