"""The subset of Shopify's Admin GraphQL schema the simulator serves, as SDL.

Names, types, nullability and arguments follow the Admin API reference
(``QueryRoot``, ``Product``, ``ProductVariant``, ``MediaImage``,
``BulkOperation``…), so documents written for Shopify validate here exactly
as they do there: an unknown field or a wrong argument type is refused by
graphql-core's validation, not accepted silently.  ``Product.images`` is
deprecated in favour of ``media``, as in the reference.
"""

from __future__ import annotations

from functools import cache

from graphql import GraphQLSchema, build_schema

SDL = """
scalar DateTime
scalar Decimal
scalar Money
scalar URL
scalar HTML
scalar UnsignedInt64

interface Node { id: ID! }
interface Media { id: ID! alt: String mediaContentType: MediaContentType! status: MediaStatus! }

enum ProductStatus { ACTIVE ARCHIVED DRAFT }
enum ProductSortKeys { ID TITLE UPDATED_AT CREATED_AT PRODUCT_TYPE VENDOR INVENTORY_TOTAL RELEVANCE PUBLISHED_AT }
enum MediaContentType { EXTERNAL_VIDEO IMAGE MODEL_3D VIDEO }
enum MediaStatus { FAILED PROCESSING READY UPLOADED }
enum WeightUnit { GRAMS KILOGRAMS OUNCES POUNDS }
enum CountPrecision { AT_LEAST EXACT }
enum BulkOperationType { MUTATION QUERY }
enum BulkOperationStatus { CANCELED CANCELING COMPLETED CREATED EXPIRED FAILED RUNNING }
enum BulkOperationErrorCode { ACCESS_DENIED INTERNAL_SERVER_ERROR TIMEOUT }
enum BulkOperationUserErrorCode { INVALID OPERATION_IN_PROGRESS }

type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
type Count { count: Int! precision: CountPrecision! }

type ProductOptionValue implements Node { id: ID! name: String! }
type ProductOption implements Node {
  id: ID! name: String! position: Int! values: [String!]! optionValues: [ProductOptionValue!]!
}
type SelectedOption { name: String! value: String! }
type Weight { unit: WeightUnit! value: Float! }
type InventoryItemMeasurement { id: ID! weight: Weight }
type InventoryItem implements Node { id: ID! sku: String measurement: InventoryItemMeasurement! }

type Image { id: ID url: URL! width: Int height: Int altText: String }
type MediaImage implements Media & Node {
  id: ID! alt: String mediaContentType: MediaContentType! status: MediaStatus! image: Image
}
type ImageEdge { cursor: String! node: Image! }
type ImageConnection { edges: [ImageEdge!]! nodes: [Image!]! pageInfo: PageInfo! }
type MediaEdge { cursor: String! node: Media! }
type MediaConnection { edges: [MediaEdge!]! nodes: [Media!]! pageInfo: PageInfo! }

type ProductVariant implements Node {
  id: ID! legacyResourceId: UnsignedInt64! title: String! sku: String barcode: String
  price: Money! compareAtPrice: Money inventoryQuantity: Int position: Int! taxable: Boolean!
  selectedOptions: [SelectedOption!]! inventoryItem: InventoryItem! image: Image
  media(first: Int, after: String, last: Int, before: String): MediaConnection!
  product: Product!
}
type ProductVariantEdge { cursor: String! node: ProductVariant! }
type ProductVariantConnection { edges: [ProductVariantEdge!]! nodes: [ProductVariant!]! pageInfo: PageInfo! }

type Product implements Node {
  id: ID! legacyResourceId: UnsignedInt64! title: String! descriptionHtml: HTML! vendor: String!
  productType: String! handle: String! status: ProductStatus! tags: [String!]!
  createdAt: DateTime! updatedAt: DateTime!
  options(first: Int): [ProductOption!]!
  variants(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): ProductVariantConnection!
  variantsCount: Count
  media(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): MediaConnection!
  mediaCount: Count
  images(first: Int, after: String, last: Int, before: String, reverse: Boolean = false): ImageConnection!
    @deprecated(reason: "Use `media` instead.")
}
type ProductEdge { cursor: String! node: Product! }
type ProductConnection { edges: [ProductEdge!]! nodes: [Product!]! pageInfo: PageInfo! }

type BulkOperation implements Node {
  id: ID! status: BulkOperationStatus! errorCode: BulkOperationErrorCode type: BulkOperationType!
  objectCount: UnsignedInt64! rootObjectCount: UnsignedInt64! fileSize: UnsignedInt64
  url: URL partialDataUrl: URL query: String! createdAt: DateTime! completedAt: DateTime
}
type BulkOperationUserError { field: [String!] message: String! code: BulkOperationUserErrorCode }
type BulkOperationRunQueryPayload { bulkOperation: BulkOperation userErrors: [BulkOperationUserError!]! }

type QueryRoot {
  products(
    first: Int, last: Int, after: String, before: String, query: String,
    sortKey: ProductSortKeys = ID, reverse: Boolean = false
  ): ProductConnection!
  product(id: ID!): Product
  productsCount(query: String, limit: Int = 10000): Count
  node(id: ID!): Node
  currentBulkOperation(type: BulkOperationType = QUERY): BulkOperation
}
type Mutation {
  bulkOperationRunQuery(query: String!, groupObjects: Boolean = false): BulkOperationRunQueryPayload
}
schema { query: QueryRoot mutation: Mutation }
"""


@cache
def schema() -> GraphQLSchema:
    """Built once per process: building validates the SDL itself."""
    return build_schema(SDL)
