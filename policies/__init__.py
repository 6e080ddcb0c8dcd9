"""Code-switching policies: features, decision tree, RL and the hybrid; runtime inference only."""
