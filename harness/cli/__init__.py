"""`importctl` commands of the development harness: stack, demo, load, chaos."""
