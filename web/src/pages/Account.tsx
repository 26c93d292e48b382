/** Credits and ledger, the subscription, the price tables with the break-even, the admin grant,
 * and the integrator sections the API offers (see `optional.tsx`). */

import { useEffect, useState } from "preact/hooks";
import { ApiError, BGR, type Api } from "../api";
import { ErrorBox, Section, credits, rupiah, when } from "../components";
import { OptionalSections } from "../optional";
import type { LedgerEntry, Pricing, Subscription } from "../types";

const REASONS: Record<string, string> = { admin_grant: "Credits granted", charge: "Charge", refund: "Refund" };

type Stats = { totalSingleRemovals: number; totalBatches: number; hasSubscription: boolean; plan: string | null; balance: number };

export function AccountPage({ api, pricing, balance, onCharged }: { api: Api; pricing: Pricing; balance: number | null; onCharged: () => void }) {
  return (
    <>
      <CreditsSection api={api} balance={balance} />
      {api.session.admin && <GrantSection api={api} onGranted={onCharged} />}
      <SubscriptionSection api={api} pricing={pricing} />
      <PricingSection pricing={pricing} />
      <OptionalSections api={api} />
    </>
  );
}

function CreditsSection({ api, balance }: { api: Api; balance: number | null }) {
  const [stats, setStats] = useState<Stats | null>(null);
  const [ledger, setLedger] = useState<LedgerEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
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
        <p class="note">
          No credits yet. An administrator can grant some; a plan's daily quota covers basic and standard images without credits.
        </p>
      )}
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

function SubscriptionSection({ api, pricing }: { api: Api; pricing: Pricing }) {
  const [sub, setSub] = useState<Subscription | null | undefined>(undefined);
  const [plan, setPlan] = useState(pricing.plans[0]?.name ?? "starter");
  const [payment, setPayment] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [off, setOff] = useState(false);
  const load = () =>
    api.get<{ subscription: Subscription | null }>(`${BGR}/subscription`).then(
      (r) => setSub(r.subscription),
      (err) => (err instanceof ApiError && err.code === "FEATURE_DISABLED" ? setOff(true) : setError(err)),
    );
  useEffect(() => {
    load();
  }, [api]);
  async function act(call: () => Promise<{ subscription: Subscription | null }>) {
    setError(null);
    try {
      setSub((await call()).subscription);
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
  const active = sub && sub.status === "active";
  return (
    <Section title="Subscription">
      {sub && (
        <dl class="facts-list">
          <dt>Plan</dt>
          <dd>
            {sub.plan} ({rupiah(sub.monthlyPrice)} a month) · {sub.status}
            {sub.cancelledAt && sub.usable ? ` — usable until ${when(sub.currentPeriodEnd)}` : ""}
          </dd>
          <dt>Today</dt>
          <dd>
            {sub.today ? `${sub.today.used} of ${sub.dailyQuota} images used, ${sub.today.remaining} left` : "—"}
            {sub.professionalDailyQuota > 0 && sub.today ? ` (professional: ${sub.today.professionalUsed} of ${sub.professionalDailyQuota})` : ""}
          </dd>
          <dt>Tiers covered</dt>
          <dd>{sub.allowedTiers.join(", ")}</dd>
          <dt>{active ? "Renews" : "Period ends"}</dt>
          <dd>{when(sub.nextBillingDate ?? sub.currentPeriodEnd)}</dd>
        </dl>
      )}
      {sub === null && <p class="muted">No subscription: every image is paid in credits.</p>}
      {active ? (
        <button class="danger" onClick={() => act(() => api.del(`${BGR}/subscription`, { reason: "cancelled in the web app" }))}>
          Cancel the subscription
        </button>
      ) : (
        sub !== undefined && (
          <form
            class="grid-form"
            onSubmit={(e) => {
              e.preventDefault();
              act(() => api.post(`${BGR}/subscription`, { plan, paymentId: payment, paymentMethod: "web" }));
            }}
          >
            <label>
              Plan{" "}
              <select value={plan} onChange={(e) => setPlan(e.currentTarget.value)}>
                {pricing.plans.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name}: {rupiah(p.monthlyPriceRp)} a month, {p.dailyQuota} images a day
                  </option>
                ))}
              </select>
            </label>
            <label>
              Payment reference{" "}
              <input value={payment} required placeholder="e.g. the receipt number" onInput={(e) => setPayment(e.currentTarget.value)} />
            </label>
            <button class="primary" type="submit">
              Subscribe
            </button>
            <p class="muted">Payment is taken elsewhere; the reference of that payment is recorded with the plan.</p>
          </form>
        )
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
