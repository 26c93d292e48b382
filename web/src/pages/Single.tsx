/** One image: pick/drop/paste, choose tier and options, upload, watch it, compare, download. */

import { useCallback, useEffect, useState } from "preact/hooks";
import { BGR, sleep, uploadTo, type Api } from "../api";
import { Compare, DropZone, ErrorBox, Progress, Section, credits, kb, saveAs, useObjectUrl } from "../components";
import { DEFAULT_OPTIONS, OptionsForm, TierPicker, optionsBody } from "../choices";
import { failureText } from "../errors";
import type { Job, Options, Pricing, Quote, Tier, Upload } from "../types";
import { JOB_FINAL } from "../statuses";

type Phase = "idle" | "uploading" | "processing" | "done";

export function SinglePage({ api, pricing, onCharged }: { api: Api; pricing: Pricing; onCharged: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [tier, setTier] = useState<Tier>("basic");
  const [options, setOptions] = useState<Options>(DEFAULT_OPTIONS);
  const [quotes, setQuotes] = useState<Partial<Record<Tier, Quote>>>({});
  const [phase, setPhase] = useState<Phase>("idle");
  const [progress, setProgress] = useState(0);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const before = useObjectUrl(file);

  useEffect(() => {
    // Whether today's quota covers one image of each tier (the quote knows the subscription).
    Promise.all(
      pricing.tiers.map((t) =>
        api.post<{ quote: Quote }>(`${BGR}/pricing/quote`, { tier: t.name, imageCount: 1 }).then((r) => [t.name, r.quote] as const),
      ),
    )
      .then((pairs) => setQuotes(Object.fromEntries(pairs)))
      .catch(() => setQuotes({}));
  }, [api, pricing, phase === "done"]);

  const choose = useCallback((files: File[]) => {
    setFile(files[0] ?? null);
    setJob(null);
    setError(null);
    setPhase("idle");
  }, []);

  async function remove() {
    if (!file) return;
    setError(null);
    setJob(null);
    setProgress(0);
    setPhase("uploading");
    try {
      const created = await api.post<{ job: Job; upload: Upload }>(`${BGR}/remove`, {
        tier,
        filename: file.name || "pasted.png",
        contentType: file.type || "application/octet-stream",
        sizeBytes: file.size,
        options: optionsBody(options),
      });
      onCharged();
      setJob(created.job);
      await uploadTo(created.upload, file, setProgress);
      setPhase("processing");
      let current = created.job;
      while (!JOB_FINAL.has(current.status)) {
        await sleep(1000);
        current = (await api.get<{ job: Job }>(`${BGR}/jobs/${current.id}`)).job;
        setJob(current);
      }
      setPhase("done");
      onCharged();
    } catch (err) {
      setError(err);
      setPhase("idle");
    }
  }

  const busy = phase === "uploading" || phase === "processing";
  const base = (file?.name || "image").replace(/\.[^.]+$/, "");
  return (
    <>
      <Section title="Remove a background">
        <DropZone label="Drop an image here (JPEG, PNG or WebP, up to 10 MB)" paste onFiles={choose} />
        {file && (
          <p class="chosen-file">
            Chosen: <strong>{file.name || "pasted image"}</strong> ({kb(file.size)})
          </p>
        )}
        <TierPicker pricing={pricing} tier={tier} onChange={setTier} quotes={quotes} />
        <OptionsForm options={options} onChange={setOptions} />
        <button class="primary" disabled={!file || busy} onClick={remove}>
          Remove background
        </button>
        <ErrorBox error={error} />
        <div aria-live="polite">
          {phase === "uploading" && <Progress value={progress} label="Uploading" shown />}
          {phase === "processing" && <p class="status">Removing the background…</p>}
        </div>
      </Section>
      {job && phase === "done" && (
        <Section title="Result">
          {job.status === "completed" && job.resultUrl && before ? (
            <>
              <Compare before={before} after={job.resultUrl} />
              <p class="facts">
                {job.pricingType === "subscription" ? "Covered by your plan's quota" : `Charged ${credits(job.creditsUsed)}`} · model{" "}
                {job.modelName} · {((job.processingTime ?? 0) / 1000).toFixed(1)} s · {kb(job.processedSize)}
              </p>
              <button class="primary" onClick={() => saveAs(job.resultUrl!, `${base}-cutout.${job.options?.format ?? "png"}`)}>
                Download the cutout
              </button>
            </>
          ) : (
            <div class="error" role="alert">
              <strong>This image could not be processed</strong>
              <p>{failureText(job.errorCode, job.errorMessage)}</p>
              {job.creditsUsed > 0 && <p>Its {credits(job.creditsUsed)} were refunded.</p>}
            </div>
          )}
        </Section>
      )}
    </>
  );
}
