"""The load harness: vendors submit imports through the API, the run is accounted and judged by the SLOs."""
