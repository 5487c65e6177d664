"""Load and fidelity tooling: the provider simulator and, later, the load harness."""
