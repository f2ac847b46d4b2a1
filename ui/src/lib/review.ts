// Pure helpers of the review view: merging line counts that arrive after the review opened,
// and finding signals by folder and by row.
import type { FileCounts } from "../bindings/FileCounts";
import type { ReviewSignal } from "../bindings/ReviewSignal";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import type { SignalRow } from "../bindings/SignalRow";

/** The summary with a batch of late line counts merged in (totals and pending recomputed). */
export function applyCounts(summary: ReviewSummary, batch: readonly FileCounts[]): ReviewSummary {
  if (batch.length === 0) return summary;
  const files = summary.files.slice();
  let pending = summary.pending;
  for (const c of batch) {
    const f = files[c.index];
    // Counts for a file that was already counted (e.g. opened first) change nothing.
    if (!f || (f.change.added !== null && f.change.kind === "text")) continue;
    files[c.index] = {
      ...f,
      change: {
        ...f.change,
        kind: c.kind,
        added: c.added,
        removed: c.removed,
        deadline_hit: c.deadline_hit,
        old_encoding: c.old_encoding,
        new_encoding: c.new_encoding,
      },
    };
    pending = Math.max(0, pending - 1);
  }
  let added = 0;
  let removed = 0;
  for (const f of files) {
    added += f.change.added ?? 0;
    removed += f.change.removed ?? 0;
  }
  return { ...summary, files, pending, totals: { ...summary.totals, lines_added: added, lines_removed: removed } };
}

/** How many signals each file and each folder above it holds, keyed by path. */
export function signalCounts(signals: readonly ReviewSignal[]): Map<string, number> {
  const out = new Map<string, number>();
  const bump = (key: string) => out.set(key, (out.get(key) ?? 0) + 1);
  for (const s of signals) {
    bump(s.path);
    const parts = s.path.split("/");
    for (let i = parts.length - 1; i > 0; i--) bump(`${parts.slice(0, i).join("/")}/`);
  }
  return out;
}

/** The signals of each display row, for drawing them inline. */
export function signalsByRow(rows: readonly SignalRow[], signals: readonly ReviewSignal[]): Map<number, ReviewSignal[]> {
  const out = new Map<number, ReviewSignal[]>();
  for (const r of rows) {
    const s = signals[r.signal];
    if (!s) continue;
    const list = out.get(r.row);
    if (list) list.push(s);
    else out.set(r.row, [s]);
  }
  return out;
}

/**
 * Where "next signal" (`delta` 1) or "previous signal" (-1) goes from signal row `at` (-1 before
 * the first): a row index in the file, or "next-file"/"previous-file" when the file has no more.
 */
export function stepSignal(
  rows: readonly SignalRow[],
  at: number,
  delta: 1 | -1,
): number | "next-file" | "previous-file" {
  const next = at + delta;
  if (next >= rows.length) return "next-file";
  if (next < 0) return "previous-file";
  return next;
}

/** The next file (in tree order, wrapping) after `from` that has signals, or null. */
export function fileWithSignals(
  order: readonly number[],
  paths: readonly string[],
  counts: ReadonlyMap<string, number>,
  from: number | null,
  delta: 1 | -1,
): number | null {
  const n = order.length;
  if (n === 0) return null;
  const at = from === null ? (delta > 0 ? -1 : n) : order.indexOf(from);
  for (let k = 1; k <= n; k++) {
    const i = (((at + delta * k) % n) + n) % n;
    const index = order[i];
    if (index !== undefined && (counts.get(paths[index] ?? "") ?? 0) > 0) return index;
  }
  return null;
}

/** One line of text describing a signal, for the inline chip and its accessible name. */
export function signalLabel(s: ReviewSignal): string {
  // Vetter's own checks (hidden characters, nested archives) are not a rule file's.
  const who = s.source === "local" ? (s.scanner === "vetter" ? "Vetter" : `local rule ${s.scanner}`) : s.scanner;
  return s.message ? `${who}: ${s.rule} — ${s.message}` : `${who}: ${s.rule}`;
}

/** Whether two signal lists hold the same findings in the same order. */
export function sameSignals(a: readonly ReviewSignal[], b: readonly ReviewSignal[]): boolean {
  return (
    a.length === b.length &&
    a.every((s, i) => {
      const t = b[i];
      return (
        t !== undefined &&
        s.source === t.source &&
        s.scanner === t.scanner &&
        s.rule === t.rule &&
        s.message === t.message &&
        s.path === t.path &&
        s.line === t.line &&
        s.column === t.column
      );
    })
  );
}

/**
 * `shown` with the signals of `next`, a newer summary of the same review, and the files `next`
 * lists beyond `shown`'s (files listed because a signal points into them). The files `shown`
 * already has keep their line counts, which may be newer than `next`'s.
 */
export function withSignalsOf(shown: ReviewSummary, next: ReviewSummary): ReviewSummary {
  const files =
    next.files.length > shown.files.length ? [...shown.files, ...next.files.slice(shown.files.length)] : shown.files;
  return { ...shown, signals: next.signals, files };
}
