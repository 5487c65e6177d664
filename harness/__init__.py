"""Development tools beside the product: the local stack, demo seeding, load accounting and their commands.

Nothing in ``control_plane`` or ``workers`` imports this package; the product's
wheel does not contain it.
"""
