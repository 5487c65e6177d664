"""Chaos drills over toxiproxy and process faults, measured against the seed's failure table."""
