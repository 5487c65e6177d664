"""Adapters to the outside world: queue, providers, object storage, images."""
