"""IID Pauli error samples for qecsim codes, in batches, mapped into the decoding frame."""

from __future__ import annotations

import numpy as np

from studies.qecsim_backend.codes import QecsimCode
from studies.qecsim_backend.error_models import ErrorModelSpec


def sample_errors(
    qcode: QecsimCode, model: ErrorModelSpec, p: float, shots: int, rng: np.random.Generator
) -> np.ndarray:
    """Physical errors, binary symplectic uint8 (shots, 2n) [X part | Z part], each site IID from the model.

    Same distribution as qecsim's `ErrorModel.generate` (which draws one shot per call), drawn in one batch.
    """
    n = qcode.n
    dist = model.distribution(p)
    kind = rng.choice(4, size=(shots, n), p=dist)  # 0=I, 1=X, 2=Y, 3=Z
    x = (kind == 1) | (kind == 2)
    z = (kind == 2) | (kind == 3)
    return np.concatenate([x, z], axis=1).astype(np.uint8)


def to_decoding_frame(qcode: QecsimCode, errors: np.ndarray) -> np.ndarray:
    """Errors (uint8 (shots, 2n)) with X and Z exchanged on the code's deformed sites (XZZX); a copy."""
    n = qcode.n
    out = np.array(errors, dtype=np.uint8, copy=True)
    dm = qcode.deformed
    if dm.any():
        out[:, :n][:, dm], out[:, n:][:, dm] = errors[:, n:][:, dm], errors[:, :n][:, dm]
    return out
