"""arq worker processes: thin task shells over control_plane.services."""
