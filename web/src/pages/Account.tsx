/** Credits and ledger with the packs to buy, the subscription with the plans to subscribe to, the
 * price tables with the break-even, the admin grant, and the integrator sections the API offers
 * (see `optional.tsx`). Buying and subscribing go through the payment provider's checkout: the
 * page waits, on the way back, until the provider's event has brought the plan or the credits. */

import { useEffect, useState } from "preact/hooks";
import { ApiError, BGR, type Api } from "../api";
import { ErrorBox, Section, credits, rupiah, usePoll, when } from "../components";
import { OptionalSections } from "../optional";
import type { Checkout, LedgerEntry, Pricing, Subscription } from "../types";

const REASONS: Record<string, string> = {
  admin_grant: "Credits granted",
  charge: "Charge",
  refund: "Refund",
  settlement: "Batch settled at the discount of the images that arrived",
  pack_purchase: "Credits bought",
  pack_refund: "Payment refunded: credits taken back",
};

type Stats = { totalSingleRemovals: number; totalBatches: number; hasSubscription: boolean; plan: string | null; balance: number };

/** What this browser sent the payer to pay for (kept across the trip to the checkout). */
type Paying = { kind: "plan"; plan: string } | { kind: "pack"; credits: number };
type Pending = Paying & { id: string };
const PENDING = "bgr.checkout";
const WAIT_MS = 120_000;

async function goToCheckout(api: Api, path: string, body: object, pending: Paying): Promise<void> {
  const { checkout } = await api.post<{ checkout: Checkout }>(path, body);
  sessionStorage.setItem(PENDING, JSON.stringify({ ...pending, id: checkout.id }));
  location.assign(checkout.url);
}

type Props = { api: Api; pricing: Pricing; balance: number | null; onCharged: () => void; payments: boolean; returned: string };

export function AccountPage({ api, pricing, balance, onCharged, payments, returned }: Props) {
  const [changed, setChanged] = useState(0); // bumped when a payment's event has arrived
  return (
    <>
      <CheckoutReturn
        api={api}
        returned={returned}
        onArrived={() => {
          onCharged();
          setChanged((n) => n + 1);
        }}
      />
      <CreditsSection api={api} balance={balance} pricing={pricing} payments={payments} />
      {api.session.admin && <GrantSection api={api} onGranted={onCharged} />}
      <SubscriptionSection key={changed} api={api} pricing={pricing} payments={payments} />
      <PricingSection pricing={pricing} />
      <OptionalSections api={api} />
    </>
  );
}

/** Back from the checkout: waits for the provider's event (the plan active, or the pack's ledger
 * entry) and says so; a cancelled checkout charged nothing. */
function CheckoutReturn({ api, returned, onArrived }: { api: Api; returned: string; onArrived: () => void }) {
  const outcome = new URLSearchParams(returned.split("?")[1] ?? "").get("checkout");
  const [pending] = useState<Pending | null>(() => JSON.parse(sessionStorage.getItem(PENDING) ?? "null"));
  const [state, setState] = useState<"waiting" | "arrived" | "late">("waiting");
  const [started] = useState(Date.now());
  useEffect(() => {
    if (outcome) {
      sessionStorage.removeItem(PENDING);
      history.replaceState(null, "", "#/account");
    }
  }, []);
  usePoll(
    async () => {
      if (!pending) return true;
      let arrived = false;
      if (pending.kind === "plan") {
        const { subscription: sub } = await api.get<{ subscription: Subscription | null }>(`${BGR}/subscription`);
        arrived = !!sub && sub.status === "active" && sub.plan === pending.plan && sub.provider !== "comp";
      } else {
        const { entries } = await api.get<{ entries: LedgerEntry[] }>("/api/credits/ledger?limit=20");
        arrived = entries.some((e) => e.reason === "pack_purchase" && e.reference === pending.id);
      }
      if (arrived) {
        setState("arrived");
        onArrived();
        return true;
      }
      if (Date.now() - started > WAIT_MS) {
        setState("late");
        return true;
      }
      return false;
    },
    1500,
    outcome === "paid" && !!pending,
  );
  if (outcome === "cancelled")
    return (
      <p class="note" role="status">
        The checkout was cancelled: nothing was charged.
      </p>
    );
  if (outcome !== "paid" || !pending) return null;
  const what = pending.kind === "plan" ? `your ${pending.plan} plan` : credits(pending.credits);
  if (state === "waiting")
    return (
      <p class="note" role="status" aria-busy="true">
        Waiting for the payment to be confirmed: {what} will be here as soon as the payment provider says it is paid.
      </p>
    );
  if (state === "late")
    return (
      <p class="note" role="status">
        The payment is not confirmed yet. {what} will show here once the payment provider's confirmation arrives; nothing is charged twice.
      </p>
    );
  return (
    <p class="note" role="status">
      Payment confirmed: {pending.kind === "plan" ? `${what} is active` : `${what} added to your balance`}.
    </p>
  );
}

function CreditsSection({ api, balance, pricing, payments }: { api: Api; balance: number | null; pricing: Pricing; payments: boolean }) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [ledger, setLedger] = useState<LedgerEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [buyError, setBuyError] = useState<unknown>(null);
  useEffect(() => {
    api.get<{ stats: Stats }>(`${BGR}/stats`).then((r) => setStats(r.stats), setError);
    api.get<{ entries: LedgerEntry[] }>("/api/credits/ledger?limit=50").then((r) => setLedger(r.entries), setError);
  }, [api, balance]);
  return (
    <Section title="Credits">
      <p class="balance">
        Balance: <strong data-testid="balance">{balance === null ? "…" : credits(balance)}</strong>
        {balance !== null && <span class="muted"> ({rupiah(balance * 100)})</span>}
      </p>
      {stats && (
        <p class="muted">
          {stats.totalSingleRemovals} single image(s), {stats.totalBatches} batch(es) so far.
        </p>
      )}
      {balance === 0 && (
        <p class="note">No credits yet. Buy a pack below; a plan's daily quota covers basic and standard images without credits.</p>
      )}
      {payments ? (
        <ul class="offers" aria-label="Credit packs">
          {pricing.packs.map((p) => (
            <li key={p.name}>
              <span>
                <strong>{credits(p.credits)}</strong> for {rupiah(p.priceRp)}
                {p.discountPercentage ? <span class="muted"> ({p.discountPercentage}% off {rupiah(p.listPriceRp)})</span> : null}
              </span>
              <button
                class="primary"
                onClick={() => {
                  setBuyError(null);
                  goToCheckout(api, "/api/credits/checkout", { pack: p.name }, { kind: "pack", credits: p.credits }).catch(setBuyError);
                }}
              >
                Buy {credits(p.credits)}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">Payments are switched off on this service: credits cannot be bought here right now.</p>
      )}
      <ErrorBox error={buyError} />
      <ErrorBox error={error} />
      {ledger && (
        <table class="ledger">
          <caption>Ledger (newest first)</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Change</th>
              <th scope="col">Why</th>
              <th scope="col">Balance after</th>
            </tr>
          </thead>
          <tbody>
            {ledger.map((e) => (
              <tr key={e.seq}>
                <td>{when(e.createdAt)}</td>
                <td class={e.delta < 0 ? "minus" : "plus"}>{e.delta > 0 ? `+${e.delta}` : e.delta}</td>
                <td>
                  {REASONS[e.reason] ?? e.reason}
                  {e.reference ? <span class="muted"> · {e.reference}</span> : null}
                  {e.shortfall ? <span class="muted"> · {credits(e.shortfall)} could not be taken back</span> : null}
                </td>
                <td>{e.balanceAfter}</td>
              </tr>
            ))}
            {!ledger.length && (
              <tr>
                <td colSpan={4} class="muted">
                  Nothing yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function GrantSection({ api, onGranted }: { api: Api; onGranted: () => void }) {
  const [user, setUser] = useState(api.session.sub);
  const [amount, setAmount] = useState(100);
  const [reason, setReason] = useState("trying it out");
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function grant(event: Event) {
    event.preventDefault();
    setError(null);
    setDone(null);
    try {
      const r = await api.post<{ balance: number }>(`/api/admin/users/${encodeURIComponent(user)}/credits`, { amount, reason });
      setDone(`Granted ${credits(amount)} to ${user}: their balance is now ${credits(r.balance)}.`);
      onGranted();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <Section title="Grant credits (admin)">
      <form class="grid-form" onSubmit={grant}>
        <label>
          User <input value={user} required onInput={(e) => setUser(e.currentTarget.value)} />
        </label>
        <label>
          Credits to add <input type="number" min={1} required value={amount} onInput={(e) => setAmount(Number(e.currentTarget.value))} />
        </label>
        <label>
          Reason <input value={reason} required onInput={(e) => setReason(e.currentTarget.value)} />
        </label>
        <button class="primary" type="submit">
          Grant credits
        </button>
      </form>
      {done && (
        <p class="note" role="status">
          {done}
        </p>
      )}
      <ErrorBox error={error} />
    </Section>
  );
}

function SubscriptionSection({ api, pricing, payments }: { api: Api; pricing: Pricing; payments: boolean }) {
  const [sub, setSub] = useState<Subscription | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [asked, setAsked] = useState(false);
  const [off, setOff] = useState(false);
  const load = () =>
    api.get<{ subscription: Subscription | null }>(`${BGR}/subscription`).then(
      (r) => setSub(r.subscription),
      (err) => (err instanceof ApiError && err.code === "FEATURE_DISABLED" ? setOff(true) : setError(err)),
    );
  useEffect(() => {
    load();
  }, [api]);
  async function cancel() {
    setError(null);
    try {
      await api.del(`${BGR}/subscription`, { reason: "cancelled in the web app" });
      setAsked(true);
      await load();
    } catch (err) {
      setError(err);
    }
  }
  async function subscribe(plan: string) {
    setError(null);
    try {
      await goToCheckout(api, `${BGR}/subscription`, { plan }, { kind: "plan", plan });
    } catch (err) {
      setError(err);
    }
  }
  if (off)
    return (
      <Section title="Subscription">
        <p class="muted">Subscriptions are switched off on this service.</p>
      </Section>
    );
  const renews = sub && sub.usable && (sub.status === "active" || sub.status === "past_due");
  return (
    <Section title="Subscription">
      {sub && (
        <dl class="facts-list">
          <dt>Plan</dt>
          <dd>
            {sub.plan} ({rupiah(sub.monthlyPrice)} a month) · <span data-testid="plan-status">{sub.status}</span>
            {sub.provider === "comp" ? " · given by an administrator" : ""}
            {sub.status === "cancelled" && sub.usable ? ` — usable until ${when(sub.currentPeriodEnd)}` : ""}
          </dd>
          <dt>Today</dt>
          <dd>
            {sub.today ? `${sub.today.used} of ${sub.dailyQuota} images used, ${sub.today.remaining} left` : "—"}
            {sub.professionalDailyQuota > 0 && sub.today ? ` (professional: ${sub.today.professionalUsed} of ${sub.professionalDailyQuota})` : ""}
          </dd>
          <dt>Tiers covered</dt>
          <dd>{sub.allowedTiers.join(", ")}</dd>
          <dt>{sub.autoRenew && sub.nextBillingDate ? "Renews" : "Period ends"}</dt>
          <dd>{when(sub.nextBillingDate ?? sub.currentPeriodEnd)}</dd>
        </dl>
      )}
      {sub?.status === "past_due" && (
        <p class="note">The last renewal payment failed. The plan stays usable until {when(sub.currentPeriodEnd)}; the payment provider will try again.</p>
      )}
      {sub === null && <p class="muted">No subscription: every image is paid in credits.</p>}
      {renews ? (
        <>
          <button class="danger" onClick={cancel}>
            Cancel the subscription
          </button>
          {asked && sub?.status !== "cancelled" && (
            <p class="note" role="status">
              Cancellation asked: it shows here once the payment provider confirms. The plan stays usable until {when(sub?.currentPeriodEnd)}.
            </p>
          )}
        </>
      ) : (
        sub !== undefined &&
        (payments ? (
          <ul class="offers" aria-label="Plans">
            {pricing.plans.map((p) => (
              <li key={p.name}>
                <span>
                  <strong>{p.name}</strong>: {rupiah(p.monthlyPriceRp)} a month, {p.dailyQuota} images a day
                  {p.professionalDailyQuota ? ` (${p.professionalDailyQuota} professional)` : ""}
                </span>
                <button class="primary" onClick={() => subscribe(p.name)}>
                  Subscribe to {p.name}
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">Payments are switched off on this service: plans cannot be bought here right now.</p>
        ))
      )}
      {sub !== undefined && !renews && payments && (
        <p class="muted">You pay on the payment provider's page and come back here; the plan is active once the payment is confirmed.</p>
      )}
      <ErrorBox error={error} />
    </Section>
  );
}

function PricingSection({ pricing }: { pricing: Pricing }) {
  const tierPrice = Object.fromEntries(pricing.tiers.map((t) => [t.name, t.priceRp]));
  return (
    <Section title="Prices">
      <div class="tables">
        <table>
          <caption>Quality tiers (1 credit = {rupiah(pricing.rupiahPerCredit)})</caption>
          <thead>
            <tr>
              <th scope="col">Tier</th>
              <th scope="col">Credits</th>
              <th scope="col">Price</th>
              <th scope="col">Model</th>
            </tr>
          </thead>
          <tbody>
            {pricing.tiers.map((t) => (
              <tr key={t.name}>
                <th scope="row">{t.name}</th>
                <td>{t.credits}</td>
                <td>{rupiah(t.priceRp)}</td>
                <td>
                  {t.model} <span class="muted">({t.refinement})</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <table>
          <caption>Batch volume discounts</caption>
          <thead>
            <tr>
              <th scope="col">Images</th>
              <th scope="col">Discount</th>
            </tr>
          </thead>
          <tbody>
            {pricing.discounts.map((d) => (
              <tr key={d.minImages}>
                <td>
                  {d.minImages}–{d.maxImages}
                </td>
                <td>{d.percentage}%</td>
              </tr>
            ))}
          </tbody>
        </table>
        <table>
          <caption>Plans and when they pay off</caption>
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">A month</th>
              <th scope="col">Daily quota</th>
              <th scope="col">Cheaper than credits after</th>
            </tr>
          </thead>
          <tbody>
            {pricing.plans.map((p) => (
              <tr key={p.name}>
                <th scope="row">{p.name}</th>
                <td>{rupiah(p.monthlyPriceRp)}</td>
                <td>
                  {p.dailyQuota}
                  {p.professionalDailyQuota ? ` (${p.professionalDailyQuota} professional)` : ""}
                </td>
                <td>
                  {p.allowedTiers
                    .filter((t) => t !== "basic")
                    .map((t) => `${Math.ceil(p.monthlyPriceRp / tierPrice[t])} ${t} images a month`)
                    .join("; ")}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}
