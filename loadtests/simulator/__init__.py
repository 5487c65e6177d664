"""A Shopify and Roastify simulator, faithful enough for load runs and chaos drills.

Catalogs are generated lazily and deterministically from ``ICP_SIMULATOR_SEED``, so any
account of any size is usable without setup and the same configuration always
yields the same bytes.  Rate limits and faults are modelled per account in
memory; ``/_sim/...`` endpoints configure them and report what happened.
"""
