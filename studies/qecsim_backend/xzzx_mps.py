"""The rotated planar MPS decoder of qecsim for the XZZX code: site-dependent priors in the CSS frame.

The XZZX code is the CSS rotated planar code with a Hadamard on every site (x, y) with x + y odd. In the CSS
frame a physical Pauli (I, X, Y, Z) on such a site reads (I, Z, Y, X), so its prior is the physical one with
the X and Z entries exchanged. qecsim's `RotatedPlanarMPSDecoder` takes one prior for every site; this
subclass changes only where the tensor network reads the prior (`create_tn`, whose loop follows qecsim
1.0b9's `RotatedPlanarMPSDecoder.TNC.create_tn`, BSD 3-clause, David K. Tuckett).
"""

from __future__ import annotations

import itertools

import numpy as np
from qecsim.models.rotatedplanar import RotatedPlanarMPSDecoder


def _swap_xz(prob_dist: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """(P(I), P(X), P(Y), P(Z)) of the Hadamard-conjugated channel."""
    p_i, p_x, p_y, p_z = prob_dist
    return (p_i, p_z, p_y, p_x)


class XZZXMPSDecoder(RotatedPlanarMPSDecoder):
    """qecsim's rotated planar MPS decoder with the XZZX priors (X <-> Z on sites with x + y odd)."""

    # Same parameters as RotatedPlanarMPSDecoder; its __init__ builds `self.TNC()`, which resolves to ours.

    @property
    def label(self) -> str:
        """qecsim's label with the XZZX frame named."""
        return "XZZX " + super().label

    class TNC(RotatedPlanarMPSDecoder.TNC):
        """Tensor-network creator reading each site's prior from its sublattice."""

        def create_tn(self, prob_dist, sample_pauli):  # noqa: ANN001, ANN201 - qecsim's signature
            """The network contracting to the coset probability of `sample_pauli` under XZZX priors."""
            code = sample_pauli.code
            max_site_x, max_site_y = code.site_bounds
            swapped = _swap_xz(prob_dist)

            def q_index(index):  # site (x, y) -> q-node (r, c), as in qecsim
                site_x, site_y = index
                site_r, site_c = max_site_y - site_y, site_x
                return max_site_x - site_c + site_r, site_r + site_c

            def p_index(index):  # plaquette (x, y) -> s-node (r, c), as in qecsim
                r, c = q_index(index)
                return r - 1, c

            def q_direction(index):
                return {max_site_y: "n", 0: "s"}.get(index[1], "") + {0: "w", max_site_x: "e"}.get(index[0], "")

            def p_direction(index):
                return {max_site_y: "n", -1: "s"}.get(index[1], "") + {-1: "w", max_site_x: "e"}.get(index[0], "")

            tn_max_r, _ = q_index((0, 0))
            _, tn_max_c = q_index((max_site_x, 0))
            tn = np.empty((tn_max_r + 1, tn_max_c + 1), dtype=object)
            for index in itertools.product(range(-1, max_site_x + 1), range(-1, max_site_y + 1)):
                is_z_plaquette = code.is_z_plaquette(index)
                if code.is_in_site_bounds(index):
                    dist = swapped if (index[0] + index[1]) % 2 == 1 else prob_dist  # the one change
                    q_pauli = sample_pauli.operator(index)
                    create = self.create_h_node if is_z_plaquette else self.create_v_node
                    tn[q_index(index)] = create(dist, q_pauli, q_direction(index))
                if code.is_in_plaquette_bounds(index):
                    tn[p_index(index)] = self.create_s_node(p_direction(index))
            return tn
