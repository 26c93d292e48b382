/** Jobs and batches, newest first, a page at a time. */

import { useEffect, useState } from "preact/hooks";
import { BGR, type Api } from "../api";
import { ErrorBox, Section, credits, saveAs, when } from "../components";
import { failureText } from "../errors";
import type { Batch, Job } from "../types";

const PAGE = 10;

/** What a job cost: credits or the plan's quota, refunded when it failed (a refused drop was never charged). */
function paid(job: Job): string {
  const price = job.pricingType === "subscription" ? "plan quota" : credits(job.creditsUsed);
  if (job.refundedAt) return `${price}, refunded`;
  return job.status === "failed" ? "not charged" : price;
}

function usePages<T>(api: Api, path: string, key: "jobs" | "batches") {
  const [rows, setRows] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const load = async (from: string | null) => {
    setLoading(true);
    try {
      const query = new URLSearchParams({ limit: String(PAGE), ...(from ? { cursor: from } : {}) });
      const page = await api.get<Record<string, unknown>>(`${path}?${query}`);
      setRows((r) => (from ? [...r, ...(page[key] as T[])] : (page[key] as T[])));
      setCursor((page.nextCursor as string | null) ?? null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load(null);
  }, [api]);
  return { rows, more: cursor ? () => load(cursor) : null, error, loading };
}

export function HistoryPage({ api }: { api: Api }) {
  const jobs = usePages<Job>(api, `${BGR}/jobs`, "jobs");
  const batches = usePages<Batch>(api, `${BGR}/batches`, "batches");
  return (
    <>
      <Section title="Single images">
        <ErrorBox error={jobs.error} />
        {!jobs.rows.length && !jobs.loading && !jobs.error && <p class="muted">No images yet.</p>}
        <ul class="history">
          {jobs.rows.map((job) => (
            <li key={job.id} class="history-row">
              {job.thumbnailUrl ? (
                <img class="thumb checker" src={job.thumbnailUrl} alt={`Cutout of ${job.filename ?? "an image"}`} loading="lazy" />
              ) : (
                <span class="thumb placeholder" aria-hidden="true" />
              )}
              <div>
                <strong>{job.filename ?? job.id}</strong>
                <span class={`badge ${job.status}`}>{job.status}</span>
                <p class="muted">
                  {when(job.createdAt)} · {job.tier} · {paid(job)}
                </p>
                {job.status === "failed" && <p>{failureText(job.errorCode, job.errorMessage)}</p>}
              </div>
              {job.resultUrl && (
                <button class="secondary" onClick={() => saveAs(job.resultUrl!, `${(job.filename ?? job.id).replace(/\.[^.]+$/, "")}-cutout.${job.options?.format ?? "png"}`)}>
                  Download<span class="visually-hidden"> {job.filename}</span>
                </button>
              )}
            </li>
          ))}
        </ul>
        {jobs.more && (
          <button class="secondary" onClick={jobs.more} disabled={jobs.loading}>
            More images
          </button>
        )}
      </Section>
      <Section title="Batches">
        <ErrorBox error={batches.error} />
        {!batches.rows.length && !batches.loading && !batches.error && <p class="muted">No batches yet.</p>}
        <ul class="history">
          {batches.rows.map((batch) => (
            <li key={batch.id} class="history-row">
              <span class="thumb placeholder" aria-hidden="true">
                {batch.totalImages}
              </span>
              <div>
                <strong>
                  {batch.totalImages} images · {batch.tier}
                </strong>
                <span class={`badge ${batch.status}`}>{batch.status}</span>
                <p class="muted">
                  {when(batch.createdAt)} · {batch.processedImages} done, {batch.failedImages} failed · {credits(batch.creditsCharged - batch.creditsRefunded)}
                  {batch.discountPercentage ? ` (${batch.discountPercentage}% off)` : ""}
                </p>
              </div>
              {batch.zipUrl && (
                <a class="button secondary" href={batch.zipUrl} download>
                  ZIP<span class="visually-hidden"> of the batch from {when(batch.createdAt)}</span>
                </a>
              )}
            </li>
          ))}
        </ul>
        {batches.more && (
          <button class="secondary" onClick={batches.more} disabled={batches.loading}>
            More batches
          </button>
        )}
      </Section>
    </>
  );
}
