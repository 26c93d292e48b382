/** Every error the API can give, in words a person understands, with what to do next. */

import { ApiError } from "./api";

export type Explained = { title: string; text: string; hint?: string; link?: { href: string; label: string } };

const IMAGE_PROBLEMS: Record<string, string> = {
  EMPTY_FILE: "The file is empty.",
  NOT_AN_IMAGE: "The file is not an image.",
  CORRUPT_IMAGE: "The image is damaged and cannot be read.",
  UNSUPPORTED_FORMAT: "That image format is not supported: use JPEG, PNG or WebP.",
  TOO_LARGE: "The image is larger than 10 MB.",
  TOO_MANY_PIXELS: "The image has too many pixels (at most 25 megapixels).",
  BAD_DIMENSIONS: "The image's width or height cannot be processed.",
  UPLOAD_EXPIRED: "The upload never arrived before its deadline; it was refunded.",
  CANCELLED: "Cancelled before it was processed; it was refunded.",
};

/** An item's or job's failure (errorCode + errorMessage) as a sentence. */
export function failureText(code: string | null | undefined, message: string | null | undefined): string {
  return (code && IMAGE_PROBLEMS[code]) || message || "It could not be processed; it was refunded.";
}

function when(seconds: number): string {
  const at = new Date(Date.now() + seconds * 1000).toLocaleTimeString();
  return seconds <= 90 ? `in ${seconds} second${seconds === 1 ? "" : "s"} (at ${at})` : `at ${at}`;
}

function unavailable(error: ApiError): Explained {
  if (error.code === "FEATURE_DISABLED")
    return {
      title: "Switched off",
      text: `${capital(error.message)}: the service's operator has turned it off. Everything else keeps working.`,
    };
  if (error.code === "TABLE_MISSING")
    return {
      title: "The service's storage is not ready",
      text: `${error.message}. This is not something you did: the operator has to finish setting it up. Nothing was charged.`,
    };
  if (error.code === "MODEL_NOT_READY")
    return {
      title: "The model for this quality tier is not ready",
      text: `${error.message}. Try another tier, or try again in a minute. Nothing was charged.`,
    };
  return { title: "The service is unavailable", text: `${error.message}. Nothing was charged; try again shortly.` };
}

function invalidFields(details: unknown): string {
  if (!Array.isArray(details)) return "";
  const fields = details.map((d: { loc?: unknown[] }) => (d.loc ?? []).filter((p) => p !== "body").join(".")).filter(Boolean);
  return fields.length ? ` (check: ${[...new Set(fields)].join(", ")})` : "";
}

export function explain(error: unknown): Explained {
  if (!(error instanceof ApiError)) {
    return { title: "Something went wrong", text: error instanceof Error ? error.message : String(error) };
  }
  switch (error.status) {
    case 0:
      return error.code === "CANCELLED"
        ? { title: "Cancelled", text: error.message }
        : { title: "No connection", text: `${capital(error.message)}. Check your connection, or whether the service is running, and try again.` };
    case 400:
      return { title: "The request was not understood", text: `${capital(error.message)}.` };
    case 401:
      return /expired/i.test(error.message)
        ? { title: "Your sign-in has expired", text: "Sign in again to go on; nothing was charged." }
        : { title: "Please sign in", text: "You are not signed in, or your sign-in is not valid here." };
    case 402:
      return {
        title: "Not enough credits",
        text: `You do not have enough credits for this (${error.message}). Nothing was charged.`,
        hint: "Buy credits on the Account page, or subscribe to a plan whose daily quota covers basic and standard images.",
        link: { href: "#/account", label: "Go to your account" },
      };
    case 403:
      return { title: "Not allowed", text: "Only administrators can do this." };
    case 404:
      return { title: "Not found", text: "It does not exist, or it belongs to another account." };
    case 409:
      return { title: "Already changed", text: `${capital(error.message)}. Reload and try again.` };
    case 413:
      return {
        title: "File too large",
        text: `${capital(error.message)}. Each image may be at most 10 MB (a batch at most 2 GB in all): resize or compress it and try again.`,
      };
    case 415:
      return {
        title: "Not an image we can read",
        text: `${capital(error.message)}. Use JPEG, PNG or WebP files.`,
      };
    case 422:
      return IMAGE_PROBLEMS[error.code]
        ? { title: "This image cannot be processed", text: IMAGE_PROBLEMS[error.code] }
        : { title: "Some of what you entered is not valid", text: `${capital(error.message)}${invalidFields(error.details)}.` };
    case 429:
      return {
        title: "Too many requests",
        text: `You are going faster than your plan allows. Try again ${when(error.retryAfter ?? 60)}.`,
      };
    case 503:
      return unavailable(error);
    default:
      return {
        title: "Something went wrong on our side",
        text: `The service answered ${error.status} (${error.message}). Nothing was charged twice; try again.`,
      };
  }
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1).replace(/\.$/, "");
}
