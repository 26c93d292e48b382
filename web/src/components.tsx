import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { explain } from "./errors";

export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];
export const rupiah = (value: number) => `Rp ${value.toLocaleString("en-US")}`;
export const credits = (value: number) => `${value.toLocaleString("en-US")} credit${value === 1 ? "" : "s"}`;
export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : "");
export const kb = (bytes: number | null | undefined) =>
  bytes == null ? "" : bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1000)} KB`;

/** An error from the API, said in words; announced to screen readers. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const { title, text, hint, link } = explain(error);
  return (
    <div class="error" role="alert">
      <strong>{title}</strong>
      <p>{text}</p>
      {hint && <p>{hint}</p>}
      {link && <a href={link.href}>{link.label}</a>}
    </div>
  );
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const headingId = `${id ?? title.replace(/\W+/g, "-").toLowerCase()}-heading`;
  return (
    <section class="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

/** Drop, pick or (with `paste`) paste files. The picker is a real <input type=file>, so the
 * keyboard reaches it; `folder` adds a folder picker. */
export function DropZone(props: {
  label: string;
  multiple?: boolean;
  folder?: boolean;
  paste?: boolean;
  onFiles: (files: File[]) => void;
}) {
  const [over, setOver] = useState(false);
  const { onFiles } = props;
  useEffect(() => {
    if (!props.paste) return;
    const onPaste = (event: ClipboardEvent) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (files.length) onFiles(files);
    };
    window.addEventListener("paste", onPaste);
    return () => window.removeEventListener("paste", onPaste);
  }, [props.paste, onFiles]);
  const onDrop = async (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    onFiles(await droppedFiles(event.dataTransfer));
  };
  return (
    <div
      class={`dropzone${over ? " over" : ""}`}
      onDragOver={(e) => (e.preventDefault(), setOver(true))}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <p>{props.label}</p>
      <label class="button">
        {props.multiple ? "Choose files" : "Choose an image"}
        <input
          type="file"
          class="visually-hidden"
          accept={IMAGE_TYPES.join(",")}
          multiple={props.multiple}
          onChange={(e) => onFiles([...(e.currentTarget.files ?? [])])}
        />
      </label>
      {props.folder && (
        <label class="button secondary">
          Choose a folder
          <input
            type="file"
            class="visually-hidden"
            // @ts-expect-error: non-standard but supported by every current browser
            webkitdirectory=""
            onChange={(e) => onFiles([...(e.currentTarget.files ?? [])])}
          />
        </label>
      )}
      {props.paste && <p class="muted">or paste an image (Ctrl+V)</p>}
    </div>
  );
}

/** Files from a drop, walking into dropped folders. */
async function droppedFiles(data: DataTransfer | null): Promise<File[]> {
  if (!data) return [];
  const entries = [...data.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean) as FileSystemEntry[];
  if (!entries.length) return [...data.files];
  const files: File[] = [];
  const walk = async (entry: FileSystemEntry): Promise<void> => {
    if (entry.isFile) {
      files.push(await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail)));
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
        if (!batch.length) break;
        for (const child of batch) await walk(child);
      }
    }
  };
  for (const entry of entries) await walk(entry);
  return files;
}

/** A progress bar; `shown` puts its label on screen too (otherwise only screen readers get it). */
export function Progress({ value, label, shown }: { value: number; label: string; shown?: boolean }) {
  const percent = Math.round(value * 100);
  return (
    <div class="progress">
      {shown && <span class="progress-label">{label}</span>}
      <progress max={100} value={percent} aria-label={label} />
      <span aria-hidden="true">{percent}%</span>
    </div>
  );
}

/** Before/after: the cutout over the original, split where the slider is (arrow keys move it). */
export function Compare({ before, after }: { before: string; after: string }) {
  const [split, setSplit] = useState(50);
  return (
    <figure class="compare">
      <div class="compare-frame">
        <img src={before} alt="Original image" />
        <img src={after} alt="Image with the background removed" class="after checker" style={{ clipPath: `inset(0 0 0 ${split}%)` }} />
        <div class="compare-line" style={{ left: `${split}%` }} aria-hidden="true" />
      </div>
      <label class="compare-range">
        <span class="visually-hidden">Before and after: how much of the original to show</span>
        <input
          type="range"
          min={0}
          max={100}
          value={split}
          aria-valuetext={`${split}% original, ${100 - split}% cutout`}
          onInput={(e) => setSplit(Number(e.currentTarget.value))}
        />
      </label>
      <figcaption>
        <span>Before</span>
        <span>After</span>
      </figcaption>
    </figure>
  );
}

/** An object URL for a local file, released when it changes. */
export function useObjectUrl(file: Blob | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file) return setUrl(null);
    const next = URL.createObjectURL(file);
    setUrl(next);
    return () => URL.revokeObjectURL(next);
  }, [file]);
  return url;
}

/** Calls `tick` every `ms` while `active`, the latest closure each time. */
export function usePoll(tick: () => Promise<boolean | void>, ms: number, active: boolean) {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: number | undefined;
    const run = async () => {
      const done = await latest.current().catch(() => false);
      if (!stopped && !done) timer = window.setTimeout(run, ms);
    };
    run();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, [active, ms]);
}

/** Saves what `url` points at under `name`. Presigned downloads are on the storage's origin,
 * where a link's `download` name is ignored, so the bytes come through a blob (the bucket's
 * CORS allows GET); when that fails the browser opens the URL itself. */
export async function saveAs(url: string, name: string): Promise<void> {
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(String(response.status));
    const href = URL.createObjectURL(await response.blob());
    const link = Object.assign(document.createElement("a"), { href, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(href), 10_000);
  } catch {
    window.open(url, "_blank", "noopener");
  }
}
