"""Component models of photonic hardware, validated against QuTiP."""
