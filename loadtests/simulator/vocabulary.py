"""Words the generated catalogs are made of: coffee roasters' products, not lorem ipsum.

Realistic text matters because importers map titles, tags and options into
the platform's own catalog; repeated, varied values exercise that mapping.
"""

from __future__ import annotations

ORIGINS: tuple[tuple[str, str], ...] = (
    ("Ethiopia", "Yirgacheffe"),
    ("Ethiopia", "Guji"),
    ("Kenya", "Nyeri"),
    ("Colombia", "Huila"),
    ("Colombia", "Nariño"),
    ("Guatemala", "Antigua"),
    ("Costa Rica", "Tarrazú"),
    ("Brazil", "Cerrado"),
    ("Peru", "Cajamarca"),
    ("Rwanda", "Nyamasheke"),
    ("Honduras", "Santa Bárbara"),
    ("Sumatra", "Aceh"),
    ("Panama", "Boquete"),
    ("Burundi", "Kayanza"),
)

BLEND_NAMES: tuple[str, ...] = (
    "Morning Ritual",
    "Midnight Oil",
    "Harbor Fog",
    "Ember",
    "Copper Kettle",
    "Northern Lights",
    "Velvet Hammer",
    "Sunday Paper",
    "Trailhead",
    "Old Town",
)

ROASTS: tuple[str, ...] = ("Light Roast", "Medium Roast", "Medium-Dark Roast", "Dark Roast")
PROCESSES: tuple[str, ...] = ("washed", "natural", "honey", "anaerobic", "wet-hulled")
NOTES: tuple[str, ...] = (
    "jasmine",
    "bergamot",
    "blueberry",
    "milk chocolate",
    "dark chocolate",
    "caramel",
    "toffee",
    "stone fruit",
    "red apple",
    "hazelnut",
    "brown sugar",
    "molasses",
    "citrus zest",
    "black tea",
    "cherry",
)

VENDORS: tuple[str, ...] = (
    "Ridgeback Roasters",
    "Little Fern Coffee",
    "Copperline Roasting Co.",
    "Bluebird Bean Works",
    "Tidewater Coffee",
    "Highland Drum Roastery",
)

PRODUCT_TYPES: tuple[str, ...] = ("Whole Bean Coffee", "Ground Coffee", "Espresso", "Decaf", "Cold Brew")

TAGS: tuple[str, ...] = (
    "organic",
    "fair-trade",
    "direct-trade",
    "limited",
    "seasonal",
    "rainforest-alliance",
    "women-produced",
    "award-winning",
    "staff-pick",
    "subscription",
)

SIZES: tuple[tuple[str, int, float, str], ...] = (
    ("8oz", 227, 8.0, "oz"),
    ("10oz", 283, 10.0, "oz"),
    ("12oz", 340, 12.0, "oz"),
    ("16oz", 454, 16.0, "oz"),
    ("2lb", 907, 2.0, "lb"),
    ("5lb", 2268, 5.0, "lb"),
    ("250g", 250, 250.0, "g"),
    ("340g", 340, 340.0, "g"),
    ("500g", 500, 500.0, "g"),
    ("1kg", 1000, 1.0, "kg"),
)
"""(label, grams, weight, weight unit): the Size option's values."""

GRINDS: tuple[str, ...] = (
    "Whole Bean",
    "Espresso",
    "Drip",
    "Pour Over",
    "French Press",
    "Cold Brew",
    "AeroPress",
    "Moka Pot",
    "Chemex",
    "Turkish",
)

PALETTE: tuple[tuple[int, int, int], ...] = (
    (111, 78, 55),
    (74, 44, 42),
    (193, 154, 107),
    (150, 75, 0),
    (59, 36, 22),
    (205, 133, 63),
    (222, 184, 135),
    (128, 70, 27),
    (176, 101, 0),
    (98, 52, 18),
    (245, 222, 179),
    (160, 82, 45),
)
"""Base colours of the generated images (coffee browns and creams)."""
