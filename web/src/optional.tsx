/** Account sections for routes this API may or may not have (API keys, the webhook secret):
 * each shows only when the API's own OpenAPI document lists its routes, and works from them —
 * GET the collection, POST to create or rotate (what it answers is shown once), DELETE an item. */

import { useEffect, useState } from "preact/hooks";
import type { Api } from "./api";
import { ErrorBox, Section } from "./components";

type Paths = Record<string, Record<string, unknown>>;
type Slot = { title: string; matches: RegExp; intro: string; create: string; named: boolean };

const SLOTS: Slot[] = [
  {
    title: "API keys",
    matches: /\/api\/keys\b/i,
    intro: "Keys for calling the API from your own servers (sent as X-Api-Key). A new key is shown once: copy it then.",
    create: "Create a key",
    named: true,
  },
  {
    title: "Webhook secret",
    matches: /\/webhook/i,
    intro: "Results sent to a callbackUrl are signed with this secret (HMAC-SHA256), so your server can check they came from us.",
    create: "Rotate the secret",
    named: false,
  },
];

export function OptionalSections({ api }: { api: Api }) {
  const [paths, setPaths] = useState<Paths>({});
  useEffect(() => {
    fetch(`${api.config.apiUrl}/api/openapi.json`)
      .then((r) => (r.ok ? r.json() : { paths: {} }))
      .then((doc) => setPaths(doc.paths ?? {}))
      .catch(() => setPaths({}));
  }, [api]);
  return (
    <>
      {SLOTS.map((slot) => {
        const found = Object.keys(paths).filter((p) => slot.matches.test(p));
        const collection = found.filter((p) => !p.includes("{")).sort((a, b) => a.length - b.length)[0];
        if (!collection) return null;
        const item = found.find((p) => p.startsWith(`${collection}/{`) && paths[p].delete);
        return <SlotSection key={slot.title} api={api} slot={slot} collection={collection} ops={paths[collection]} item={item} />;
      })}
    </>
  );
}

function SlotSection(props: { api: Api; slot: Slot; collection: string; ops: Record<string, unknown>; item?: string }) {
  const { api, slot, collection, ops, item } = props;
  const [data, setData] = useState<unknown>(null);
  const [shown, setShown] = useState<unknown>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(null);
  const load = () => (ops.get ? api.get(collection).then(setData, setError) : Promise.resolve());
  useEffect(() => {
    load();
  }, [api, collection]);
  async function run(call: () => Promise<unknown>, show: boolean) {
    setError(null);
    try {
      const answer = await call();
      if (show) setShown(answer);
      await load();
    } catch (err) {
      setError(err);
    }
  }
  const rows = firstArray(data);
  const param = item?.match(/\{(\w+)\}$/)?.[1] ?? "id";
  return (
    <Section title={slot.title}>
      <p class="muted">{slot.intro}</p>
      {rows ? (
        <table>
          <tbody>
            {rows.map((row, i) => (
              <tr key={i}>
                <td>{summary(row)}</td>
                {item && (
                  <td>
                    <button class="danger" onClick={() => run(() => api.del(item.replace(`{${param}}`, String(row[param] ?? row.id))), false)}>
                      Revoke
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        data !== null && <p>{summary(data as Record<string, unknown>)}</p>
      )}
      {ops.post ? (
        <form
          class="grid-form"
          onSubmit={(e) => {
            e.preventDefault();
            run(() => api.post(collection, slot.named && name ? { name } : {}), true);
          }}
        >
          {slot.named && (
            <label>
              Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </label>
          )}
          <button class="secondary" type="submit">
            {slot.create}
          </button>
        </form>
      ) : null}
      {shown !== null && (
        <div class="note" role="status">
          <p>Shown once — copy it now:</p>
          <pre>{JSON.stringify(shown, null, 2)}</pre>
        </div>
      )}
      <ErrorBox error={error} />
    </Section>
  );
}

function firstArray(data: unknown): Record<string, unknown>[] | null {
  if (!data || typeof data !== "object") return null;
  const found = Object.values(data).find(Array.isArray);
  return (found as Record<string, unknown>[]) ?? null;
}

function summary(row: Record<string, unknown>): string {
  if (!row || typeof row !== "object") return String(row);
  const flat = Object.values(row).some((v) => v && typeof v === "object") ? Object.values(row).find((v) => v && typeof v === "object") : row;
  return Object.entries(flat as Record<string, unknown>)
    .filter(([, v]) => v !== null && typeof v !== "object")
    .map(([k, v]) => `${k}: ${v}`)
    .join(" · ");
}
