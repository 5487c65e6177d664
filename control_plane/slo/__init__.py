"""The service level objectives as package data (``slos.yaml``), loaded by :mod:`control_plane.services.slo`."""
