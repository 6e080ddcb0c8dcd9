"""The error models the qecsim backend offers: bit flip, depolarizing and biased depolarizing (IID Pauli)."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pydantic
from pydantic import Field

from protocols.config import StrictModel
from studies.qecsim_backend.errors import qecsim_errors


class ErrorModelSpec(StrictModel):
    """An IID single-qubit Pauli error model; `eta` and `axis` apply to `biased_depolarizing` only.

    biased_depolarizing follows qecsim (Tuckett et al. 2018): p_axis / (sum of the other two) = eta, the
    other two equal; eta = 0.5 is depolarizing.
    """

    kind: Literal["bit_flip", "phase_flip", "depolarizing", "biased_depolarizing"]
    eta: float | None = Field(default=None, gt=0.0, le=1e12)
    axis: Literal["X", "Y", "Z"] = "Z"

    @pydantic.model_validator(mode="after")
    def _eta_only_when_biased(self) -> ErrorModelSpec:
        if self.kind == "biased_depolarizing" and self.eta is None:
            raise ValueError("biased_depolarizing needs 'eta' (bias, > 0; 0.5 is depolarizing)")
        if self.kind != "biased_depolarizing" and self.eta is not None:
            raise ValueError(f"'eta' applies to biased_depolarizing only, not to {self.kind}")
        return self

    def qecsim_model(self):  # noqa: ANN201 - a qecsim.model.ErrorModel
        """The qecsim ErrorModel object of this spec."""
        from qecsim.models.generic import (
            BiasedDepolarizingErrorModel,
            BitFlipErrorModel,
            DepolarizingErrorModel,
            PhaseFlipErrorModel,
        )

        with qecsim_errors(f"building error model {self.kind}"):
            if self.kind == "biased_depolarizing":
                return BiasedDepolarizingErrorModel(self.eta, self.axis)
            return {"bit_flip": BitFlipErrorModel, "phase_flip": PhaseFlipErrorModel,
                    "depolarizing": DepolarizingErrorModel}[self.kind]()

    def distribution(self, p: float) -> np.ndarray:
        """(P(I), P(X), P(Y), P(Z)) at total error probability p, float64 shape (4,)."""
        with qecsim_errors(f"probability distribution of {self.kind} at p={p}"):
            return np.asarray(self.qecsim_model().probability_distribution(p), dtype=np.float64)

    def label(self) -> str:
        """Short name for metadata and plots, e.g. 'biased_depolarizing(eta=10,Z)'."""
        if self.kind == "biased_depolarizing":
            return f"biased_depolarizing(eta={self.eta:g},{self.axis})"
        return self.kind
