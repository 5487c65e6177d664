"""Chaos drills over toxiproxy and process faults, measured against the recovery targets REQ-MTTR-1..7."""
