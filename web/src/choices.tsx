/** The choices a removal takes: the tier (with its price and the quota's cover) and output options. */

import type { Options, Pricing, Quote, Tier } from "./types";
import { credits, rupiah } from "./components";

export const DEFAULT_OPTIONS: Options = {
  format: "png",
  channels: "rgba",
  bgColor: null,
  crop: false,
  margin: 0,
  marginUnit: "px",
  shadowType: "none",
  shadowOpacity: 50,
};

export function TierPicker(props: {
  pricing: Pricing;
  tier: Tier;
  onChange: (tier: Tier) => void;
  quotes?: Partial<Record<Tier, Quote>>;
}) {
  return (
    <fieldset class="tiers">
      <legend>Quality tier</legend>
      {props.pricing.tiers.map((t) => {
        const quote = props.quotes?.[t.name];
        const covered = quote && quote.coveredBySubscription >= quote.imageCount;
        return (
          <label key={t.name} class={`tier${props.tier === t.name ? " chosen" : ""}`}>
            <input type="radio" name="tier" value={t.name} checked={props.tier === t.name} onChange={() => props.onChange(t.name)} />
            <span class="tier-name">{t.name}</span>
            <span>
              {credits(t.credits)} · {rupiah(t.priceRp)}
            </span>
            {quote && (
              <span class={covered ? "covered" : "muted"}>
                {covered ? "free today: your plan's quota covers it" : "paid in credits"}
              </span>
            )}
          </label>
        );
      })}
    </fieldset>
  );
}

export function OptionsForm({ options, onChange }: { options: Options; onChange: (options: Options) => void }) {
  const set = (patch: Partial<Options>) => onChange({ ...options, ...patch });
  return (
    <fieldset class="options">
      <legend>Output</legend>
      <label>
        Format{" "}
        <select value={options.format} onChange={(e) => set({ format: e.currentTarget.value as Options["format"] })}>
          <option value="png">PNG</option>
          <option value="webp">WebP (smaller)</option>
        </select>
      </label>
      <label>
        <input type="checkbox" checked={!!options.bgColor} onChange={(e) => set({ bgColor: e.currentTarget.checked ? "#ffffff" : null })} />{" "}
        Fill the background with a colour
      </label>
      {options.bgColor && (
        <label>
          Background colour <input type="color" value={options.bgColor} onInput={(e) => set({ bgColor: e.currentTarget.value })} />
        </label>
      )}
      <label>
        <input type="checkbox" checked={options.crop} onChange={(e) => set({ crop: e.currentTarget.checked })} /> Crop to the subject
      </label>
      {options.crop && (
        <label>
          Margin (pixels){" "}
          <input type="number" min={0} max={500} value={options.margin} onInput={(e) => set({ margin: Number(e.currentTarget.value) || 0 })} />
        </label>
      )}
    </fieldset>
  );
}

/** The request's `options`: only what differs from the API's defaults. */
export function optionsBody(options: Options): Record<string, unknown> {
  return {
    format: options.format,
    ...(options.bgColor ? { bgColor: options.bgColor } : {}),
    ...(options.crop ? { crop: true, margin: options.margin } : {}),
  };
}
