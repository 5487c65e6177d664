"""Pure rules of the control plane: no framework, no I/O."""
