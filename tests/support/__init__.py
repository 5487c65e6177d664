"""Helpers that tests run in separate processes."""
