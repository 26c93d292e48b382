/** A batch: up to 500 files or a folder, the quote with its volume discount, per-item upload and
 * processing progress, failures named, cancel, the ZIP. */

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { ApiError, BGR, uploadTo, type Api } from "../api";
import { DropZone, ErrorBox, IMAGE_TYPES, Progress, Section, credits, kb, rupiah, usePoll } from "../components";
import { DEFAULT_OPTIONS, OptionsForm, TierPicker, optionsBody } from "../choices";
import { explain, failureText } from "../errors";
import type { Batch, BatchItem, Options, Pricing, Quote, Tier, Upload } from "../types";
import { BATCH_FINAL, ZIP_FINAL } from "../statuses";

const PARALLEL_UPLOADS = 4;
const BY_EXTENSION: Record<string, string> = { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

type ItemUpload = Upload & { itemIndex: number; filename: string };

function imageType(file: File): string | null {
  if (IMAGE_TYPES.includes(file.type)) return file.type;
  return BY_EXTENSION[file.name.split(".").pop()?.toLowerCase() ?? ""] ?? null;
}

export function BatchPage({ api, pricing, onCharged }: { api: Api; pricing: Pricing; onCharged: () => void }) {
  const [files, setFiles] = useState<File[]>([]);
  const [skipped, setSkipped] = useState<string[]>([]);
  const [tier, setTier] = useState<Tier>("standard");
  const [options, setOptions] = useState<Options>(DEFAULT_OPTIONS);
  const [quote, setQuote] = useState<Quote | null>(null);
  const [batch, setBatch] = useState<Batch | null>(null);
  const [items, setItems] = useState<BatchItem[]>([]);
  const [uploaded, setUploaded] = useState<number[]>([]);
  const [uploadErrors, setUploadErrors] = useState<Record<number, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const max = pricing.maxBatchImages;

  const choose = useCallback(
    (chosen: File[]) => {
      const images = chosen.filter((f) => imageType(f));
      const notImages = chosen.filter((f) => !imageType(f)).map((f) => `${f.name} (not a JPEG, PNG or WebP image)`);
      const tooMany = images.slice(max).map((f) => `${f.name} (over the ${max}-image limit)`);
      setFiles(images.slice(0, max));
      setSkipped([...notImages, ...tooMany]);
      setBatch(null);
      setItems([]);
      setError(null);
      setNote(null);
    },
    [max],
  );

  useEffect(() => {
    if (!files.length) return setQuote(null);
    let current = true;
    api
      .post<{ quote: Quote }>(`${BGR}/pricing/quote`, { tier, imageCount: files.length })
      .then((r) => current && setQuote(r.quote))
      .catch((err) => current && setError(err));
    return () => {
      current = false;
    };
  }, [api, tier, files.length]);

  async function start() {
    setError(null);
    setNote(null);
    setBusy(true);
    setUploaded(files.map(() => 0));
    setUploadErrors({});
    const controller = new AbortController();
    abort.current = controller;
    try {
      const created = await api.post<{ batch: Batch; uploads: ItemUpload[] }>(`${BGR}/batch`, {
        tier,
        images: files.map((f) => ({ filename: f.name, contentType: imageType(f), sizeBytes: f.size })),
        options: optionsBody(options),
      });
      setBatch(created.batch);
      onCharged();
      const queue = [...created.uploads];
      const worker = async () => {
        for (let next = queue.shift(); next && !controller.signal.aborted; next = queue.shift()) {
          const upload = next;
          try {
            await uploadTo(upload, files[upload.itemIndex], (f) => setUploaded((u) => u.map((v, i) => (i === upload.itemIndex ? f : v))), controller.signal);
          } catch (err) {
            setUploadErrors((e) => ({ ...e, [upload.itemIndex]: explain(err).text }));
          }
        }
      };
      await Promise.all(Array.from({ length: PARALLEL_UPLOADS }, worker));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const finished = !!batch && BATCH_FINAL.has(batch.status) && ((batch.zipStatus !== null && ZIP_FINAL.has(batch.zipStatus)) || batch.processedImages === 0);
  usePoll(
    async () => {
      if (!batch) return true;
      const [b, i] = await Promise.all([
        api.get<{ batch: Batch }>(`${BGR}/batch/${batch.id}`),
        api.get<{ items: BatchItem[] }>(`${BGR}/batch/${batch.id}/items`),
      ]);
      setBatch(b.batch);
      setItems(i.items);
      if (BATCH_FINAL.has(b.batch.status)) onCharged();
      return BATCH_FINAL.has(b.batch.status) && ((b.batch.zipStatus !== null && ZIP_FINAL.has(b.batch.zipStatus)) || b.batch.processedImages === 0);
    },
    1500,
    !!batch && !finished,
  );

  async function cancel() {
    if (!batch) return;
    abort.current?.abort();
    try {
      const r = await api.del<{ batch: Batch }>(`${BGR}/batch/${batch.id}`);
      setBatch(r.batch);
      setNote("Cancelled: images not yet processed are refunded; finished ones still go into the ZIP.");
    } catch (err) {
      const absent = err instanceof ApiError && [403, 404, 405].includes(err.status) && err.code !== "FORBIDDEN";
      if (absent)
        setNote(
          "Uploads still waiting were stopped, but this server cannot cancel a batch yet: images already uploaded will still be processed.",
        );
      else setError(err);
    }
  }

  const byIndex = new Map(items.map((i) => [i.itemIndex, i]));
  const failures = items.filter((i) => i.status === "failed");
  const nextBracket = quote && pricing.discounts.find((d) => d.minImages > quote.imageCount && d.percentage > quote.discountPercentage);
  return (
    <>
      <Section title="Batch">
        <DropZone label={`Drop up to ${max} images or a folder here`} multiple folder onFiles={choose} />
        {files.length > 0 && (
          <p class="chosen-file">
            {files.length} image{files.length === 1 ? "" : "s"} chosen ({kb(files.reduce((n, f) => n + f.size, 0))})
          </p>
        )}
        {skipped.length > 0 && (
          <details class="skipped">
            <summary>{skipped.length} file(s) left out</summary>
            <ul>
              {skipped.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ul>
          </details>
        )}
        <TierPicker pricing={pricing} tier={tier} onChange={setTier} />
        <OptionsForm options={options} onChange={setOptions} />
        {quote && (
          <table class="quote" aria-label="Quote">
            <tbody>
              <tr>
                <th scope="row">
                  {quote.imageCount} × {credits(quote.creditsPerImage)}
                </th>
                <td>{credits(quote.originalPrice)}</td>
              </tr>
              <tr>
                <th scope="row">Volume discount ({quote.discountPercentage}%)</th>
                <td>−{credits(quote.discount)}</td>
              </tr>
              {quote.coveredBySubscription > 0 && (
                <tr>
                  <th scope="row">Covered by today's quota</th>
                  <td>{quote.coveredBySubscription} images</td>
                </tr>
              )}
              <tr class="total">
                <th scope="row">To pay</th>
                <td>
                  {credits(quote.creditsToCharge)} ({rupiah(quote.creditsToCharge * pricing.rupiahPerCredit)})
                </td>
              </tr>
            </tbody>
          </table>
        )}
        {nextBracket && (
          <p class="muted">
            {nextBracket.minImages - (quote?.imageCount ?? 0)} more image(s) would give {nextBracket.percentage}% off.
          </p>
        )}
        <div class="actions">
          <button class="primary" disabled={!files.length || busy || (!!batch && !finished)} onClick={start}>
            Start the batch
          </button>
          {batch && !BATCH_FINAL.has(batch.status) && (
            <button class="danger" onClick={cancel}>
              Cancel the batch
            </button>
          )}
        </div>
        <ErrorBox error={error} />
        {note && (
          <p class="note" role="status">
            {note}
          </p>
        )}
      </Section>
      {batch && (
        <Section title="Progress">
          <div aria-live="polite">
            <p class="status">
              Status: <strong>{batch.status}</strong> · {batch.processedImages} done, {batch.failedImages} failed of {batch.totalImages}
              {batch.estimatedDuration ? ` · about ${batch.estimatedDuration} s left` : ""}
            </p>
            <Progress value={uploaded.length ? uploaded.reduce((a, b) => a + b, 0) / uploaded.length : 0} label="Uploaded" shown />
            <Progress value={batch.progressPercentage / 100} label="Processed" shown />
            {batch.zipUrl && (
              <a class="button primary" href={batch.zipUrl} download>
                Download the ZIP
              </a>
            )}
            {BATCH_FINAL.has(batch.status) && !batch.zipUrl && batch.zipStatus !== "failed" && batch.processedImages > 0 && <p>Building the ZIP…</p>}
            {batch.zipStatus === "failed" && <p class="error">The ZIP could not be built; each image can still be downloaded below.</p>}
          </div>
          {failures.length > 0 && (
            <div class="error" role="alert">
              <strong>{failures.length} image(s) failed (refunded)</strong>
              <ul>
                {failures.map((f) => (
                  <li key={f.itemIndex}>
                    {f.filename}: {failureText(f.errorCode, f.errorMessage)}
                  </li>
                ))}
              </ul>
            </div>
          )}
          <table class="items">
            <caption class="visually-hidden">Each image of the batch</caption>
            <thead>
              <tr>
                <th scope="col">Image</th>
                <th scope="col">Upload</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {files.map((f, index) => {
                const item = byIndex.get(index);
                return (
                  <tr key={index}>
                    <td>{f.name}</td>
                    <td>{uploadErrors[index] ?? <Progress value={uploaded[index] ?? 0} label={`Upload of ${f.name}`} />}</td>
                    <td>
                      {item?.resultUrl ? (
                        <a href={item.resultUrl} target="_blank" rel="noopener">
                          {item.status}
                        </a>
                      ) : (
                        item?.status ?? "waiting"
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Section>
      )}
    </>
  );
}
