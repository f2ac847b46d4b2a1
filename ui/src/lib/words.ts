// The words a reviewer reads for a server's codes, from its vocabulary (AMO's names by default).
// Pure lookups, so every view spells a code the same way; a code no vocabulary names still
// reads as words, and the code itself stays one hover away.
import type { Vocabulary } from "../bindings/Vocabulary";

/** A code's display name and description. */
export type Words = { code: string; title: string; description: string };

/** Which list of the vocabulary a code belongs to. */
export type Kind = "queues" | "reasons" | "flags" | "weight_factors" | "actions";

/** `needs_admin_code_review` → "Needs admin code review" (as the backend's `humanize`). */
export function humanize(code: string): string {
  const spaced = code.replace(/[_-]/g, " ").trim();
  return spaced ? spaced.charAt(0).toUpperCase() + spaced.slice(1) : code;
}

/** The words for `code` in `kind`, or the code as words when the vocabulary lacks it. */
export function wordsFor(vocabulary: Vocabulary | null, kind: Kind, code: string): Words {
  const list: { name: string; title: string; description: string }[] = vocabulary?.[kind] ?? [];
  const found = list.find((t) => t.name === code);
  return found
    ? { code, title: found.title, description: found.description }
    : { code, title: humanize(code), description: "" };
}

/** A hover text: the description, then the code as the server sends it. */
export function hoverText(w: Words): string {
  return w.description ? `${w.description} (${w.code})` : w.code;
}

/** A byte count as people read it: B, KiB, MiB or GiB with one decimal above KiB. */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** `n` and `noun`, with an "s" unless `n` is 1 ("1 version", "2 versions"). */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
