"""Use cases shared by the API and the workers.  They flush but never commit:
the edge that called them owns the transaction."""
