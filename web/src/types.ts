/** The API's shapes this app reads, named as the app names them: each is the service's own schema,
 * generated from its OpenAPI document into api-schema.ts (`make api-shapes`). */
import type { components } from "./api-schema";

type Schemas = components["schemas"];

export type Tier = Schemas["QuoteRequest"]["tier"];
export type Options = Schemas["OutputOptions"];
export type Job = Schemas["JobView"];
export type Upload = Schemas["Upload"];
export type Batch = Schemas["BatchView"];
export type BatchItem = Schemas["BatchItemView"];
export type Quote = Schemas["Quote"];
export type Pricing = Schemas["PricingTables"];
export type Subscription = Schemas["SubscriptionView"];
export type LedgerEntry = Schemas["LedgerEntryView"];
export type Checkout = Schemas["Checkout"];
