"""The GraphQL documents the Shopify client sends, and what Shopify will charge for them.

Shopify computes a query's *requested cost* before running it, from the
selection alone (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):
scalars and enums cost 0, an object 1 plus what is selected inside it, a
connection 2 plus ``first`` times the cost of one node (so nested connections
multiply), and a query above 1,000 requested points is refused outright
(``MAX_COST_EXCEEDED``). Documents are built from a small selection tree so the
text sent and the cost computed can never disagree.

:class:`PagePlan` picks the products per page and the nested ``first`` values:
nested sizes follow the largest variant and media counts seen so far (rounded
up to a power of two, capped), and the products per page are as many as fit in
the cost budget. What a product holds beyond its nested ``first`` is fetched by
follow-up queries on that product alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_QUERY_COST = 1000
"""Shopify's limit on one query's requested cost, on every plan."""
MAX_FIRST = 250
"""The largest ``first`` a connection accepts."""
PAGE_BUDGET = 500
"""Requested cost a products page aims at: half the limit and of the smallest bucket, so pages of several
jobs of one shop fit at once (Shopify charges the requested cost up front and refunds the unused part)."""
MAX_NESTED_VARIANTS = 64
MAX_NESTED_MEDIA = 32
MIN_NESTED = 4


@dataclass(frozen=True)
class Node:
    """One selected field: a scalar (no children), an object, or a connection (``first`` set)."""

    name: str
    children: tuple[Node, ...] = ()
    first: int | None = None
    arguments: str = ""
    fragment: str | None = None
    """Render the children inside ``... on <fragment>`` (an interface's concrete type)."""

    def cost(self) -> int:
        if not self.children:
            return 0
        inner = sum(child.cost() for child in self.children)
        if self.first is None:
            return 1 + inner
        return 2 + self.first * (1 + inner)

    def render(self) -> str:
        if not self.children:
            return self.name
        body = " ".join(child.render() for child in self.children)
        if self.fragment is not None:
            body = f"... on {self.fragment} {{ {body} }}"
        if self.first is None:
            args = f"({self.arguments})" if self.arguments else ""
            return f"{self.name}{args} {{ {body} }}"
        args = ", ".join(part for part in (f"first: {self.first}", self.arguments) if part)
        return f"{self.name}({args}) {{ edges {{ cursor node {{ {body} }} }} pageInfo {{ hasNextPage endCursor }} }}"


def _scalars(names: str) -> tuple[Node, ...]:
    return tuple(Node(name) for name in names.split())


def _object(name: str, *children: Node) -> Node:
    return Node(name, children)


VARIANT_FIELDS: tuple[Node, ...] = (
    *_scalars("id legacyResourceId title sku barcode price compareAtPrice inventoryQuantity position taxable"),
    _object("selectedOptions", *_scalars("name value")),
    _object("inventoryItem", Node("id"), _object("measurement", _object("weight", *_scalars("unit value")))),
)
"""What the default mapping needs of a variant, the same data the REST variant carries."""
MEDIA_FIELDS: tuple[Node, ...] = (
    *_scalars("id alt"),
    _object("image", *_scalars("url width height altText")),
)
"""A ``MediaImage`` (``Product.images`` is deprecated in favour of ``media``)."""
PRODUCT_SCALARS = _scalars(
    "id legacyResourceId title descriptionHtml vendor productType handle status tags createdAt updatedAt"
)
OPTIONS = _object("options", *_scalars("id name position values"))


def variants(first: int, after: str | None = None) -> Node:
    return Node("variants", VARIANT_FIELDS, first=first, arguments=_after(after))


def media(first: int, after: str | None = None) -> Node:
    """Every media node; videos and 3D models answer an empty object (the fragment selects images only)."""
    return Node("media", MEDIA_FIELDS, first=first, arguments=_after(after), fragment="MediaImage")


def _after(after: str | None) -> str:
    return "" if after is None else f"after: {_quoted(after)}"


def _quoted(value: str) -> str:
    """A GraphQL string literal (cursors and ids come from Shopify but are still escaped)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def products_page(products: int, nested_variants: int, nested_media: int) -> Node:
    node_fields = (*PRODUCT_SCALARS, OPTIONS, variants(nested_variants), media(nested_media))
    arguments = "after: $after, query: $query, sortKey: ID"
    return Node("products", node_fields, first=products, arguments=arguments)


def products_document(connection: Node) -> str:
    return f"query Products($after: String, $query: String) {{ {connection.render()} }}"


def follow_up(product_gid: str, connection: Node) -> tuple[str, int]:
    """A query for the rest of one product's variants or media, and its requested cost."""
    root = Node("product", (connection,), arguments=f"id: {_quoted(product_gid)}")
    return f"query {{ {root.render()} }}", root.cost()


def largest_first(per_node_cost: int, overhead: int = 3, budget: int = MAX_QUERY_COST) -> int:
    """The largest ``first`` of a connection whose nodes cost ``per_node_cost`` that fits ``budget``."""
    return max(1, min(MAX_FIRST, (budget - overhead) // per_node_cost))


FOLLOW_UP_VARIANTS = largest_first(1 + sum(child.cost() for child in VARIANT_FIELDS))
FOLLOW_UP_MEDIA = largest_first(1 + sum(child.cost() for child in MEDIA_FIELDS))

COUNT_DOCUMENT = "query Count($query: String) { productsCount(query: $query, limit: null) { count precision } }"
COUNT_COST = 1


def _power_of_two_at_least(count: int, cap: int) -> int:
    size = MIN_NESTED
    while size < count and size < cap:
        size *= 2
    return min(size, cap)


@dataclass
class PagePlan:
    """Page shape for one import, adapted to the catalog as it is read."""

    largest_variants: int = 1
    largest_media: int = 1
    budget: int = PAGE_BUDGET
    shrink: int = field(default=1)
    """Divides the products per page after a MAX_COST_EXCEEDED answer (our cost model was short)."""

    def nested_variants(self) -> int:
        return _power_of_two_at_least(self.largest_variants, MAX_NESTED_VARIANTS)

    def nested_media(self) -> int:
        return _power_of_two_at_least(self.largest_media, MAX_NESTED_MEDIA)

    def connection(self, wanted: int) -> Node:
        """The products connection for at most ``wanted`` products that stays within the budget."""
        variants_first, media_first = self.nested_variants(), self.nested_media()
        per_product = products_page(1, variants_first, media_first).cost() - 2
        fits = max(1, (self.budget - 2) // per_product // self.shrink)
        return products_page(max(1, min(wanted, fits, MAX_FIRST)), variants_first, media_first)

    def saw(self, variant_count: int, media_count: int) -> None:
        self.largest_variants = max(self.largest_variants, variant_count)
        self.largest_media = max(self.largest_media, media_count)

    def too_costly(self) -> None:
        self.shrink *= 2
