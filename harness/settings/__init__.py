"""Settings sections only the development harness reads (local stack, simulator, load runs, chaos drills)."""
