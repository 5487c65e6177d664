"""Self-observation adapters: counters and presence in Redis, Prometheus and EMF rendering, alarm notices."""
