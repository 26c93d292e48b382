/** The API's shapes this app reads (SPEC §6; the OpenAPI document at /api/openapi.json). */

export type Tier = "basic" | "standard" | "professional" | "industry";
export type Options = { format: "png" | "webp"; bgColor?: string | null; crop: boolean; margin: number };

export type Job = {
  id: string;
  status: string;
  tier: Tier;
  filename: string | null;
  creditsUsed: number;
  pricingType: string;
  modelName: string | null;
  originalSize: number | null;
  processedSize: number | null;
  processingTime: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: string;
  completedAt: string | null;
  options: Options;
  resultUrl: string | null;
  thumbnailUrl: string | null;
};

export type Upload = { url: string; fields: Record<string, string> };

export type Batch = {
  id: string;
  status: string;
  tier: Tier;
  totalImages: number;
  processedImages: number;
  failedImages: number;
  progressPercentage: number;
  originalPrice: number;
  discountPercentage: number;
  finalPrice: number;
  creditsCharged: number;
  coveredBySubscription: number;
  creditsRefunded: number;
  zipStatus: string | null;
  zipUrl: string | null;
  estimatedDuration: number | null;
  createdAt: string;
  completedAt: string | null;
};

export type BatchItem = {
  itemIndex: number;
  filename: string;
  status: string;
  creditsUsed: number;
  errorCode: string | null;
  errorMessage: string | null;
  resultUrl: string | null;
};

export type Quote = {
  tier: Tier;
  imageCount: number;
  creditsPerImage: number;
  originalPrice: number;
  discountPercentage: number;
  discount: number;
  finalPrice: number;
  coveredBySubscription: number;
  creditsToCharge: number;
};

export type Pricing = {
  rupiahPerCredit: number;
  tiers: { name: Tier; credits: number; priceRp: number; model: string; refinement: string }[];
  discounts: { minImages: number; maxImages: number; percentage: number }[];
  plans: { name: string; monthlyPriceRp: number; dailyQuota: number; professionalDailyQuota: number; allowedTiers: Tier[] }[];
  packs: { name: string; credits: number; listPriceRp: number; discountPercentage: number; priceRp: number }[];
  maxBatchImages: number;
};

export type Subscription = {
  id: string;
  plan: string;
  status: string;
  usable: boolean;
  monthlyPrice: number;
  dailyQuota: number;
  professionalDailyQuota: number;
  allowedTiers: Tier[];
  currentPeriodEnd: string;
  nextBillingDate: string | null;
  cancelledAt: string | null;
  cancelReason: string | null;
  autoRenew: boolean;
  provider: string;
  today: { date: string; used: number; remaining: number; professionalUsed: number; professionalRemaining: number } | null;
};

export type LedgerEntry = { seq: number; delta: number; reason: string; reference: string; balanceAfter: number; actor: string; createdAt: string; shortfall?: number | null };

/** A payment provider's checkout: the payer goes to `url`; the plan or credits follow its event. */
export type Checkout = { id: string; url: string; expiresAt: string; mode: "subscription" | "payment" };

export const TERMINAL = new Set(["completed", "failed", "partial", "cancelled"]);
