// Queue entries in the order a reviewer works through them, and what opening one reviews.
import type { LocalEntry } from "../bindings/LocalEntry";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { ReviewTarget } from "./navigation";

/** How the entries are ordered. */
export type SortKey = "due" | "weight" | "name";

/** Orders entries: soonest due first, heaviest first, or by name; ties by entry id. */
export function sortEntries(entries: LocalEntry[], key: SortKey): LocalEntry[] {
  const by: Record<SortKey, (a: LocalEntry, b: LocalEntry) => number> = {
    due: (a, b) => a.due_date.localeCompare(b.due_date),
    weight: (a, b) => b.weight - a.weight,
    name: (a, b) => a.addon_name.localeCompare(b.addon_name),
  };
  return [...entries].sort((a, b) => by[key](a, b) || a.id - b.id);
}

/** The cached pair to review: last approved → under review, when both are cached. */
export function reviewPair(entry: LocalEntry): ReviewTarget | null {
  if (entry.file.state !== "cached" || entry.base_cached_version_id === null) return null;
  return { old: entry.base_cached_version_id, next: entry.file.version_id, remoteVersionId: entry.version_id };
}

/** The entry to open after deciding on server version `current`: the next by due date after it
 * (wrapping to the first) that has no decision yet and can be reviewed offline; null when none. */
export function nextEntry(
  entries: LocalEntry[],
  decided: Map<number, OutboxEntry>,
  current: number | null,
): LocalEntry | null {
  const order = sortEntries(entries, "due");
  const at = order.findIndex((e) => e.version_id === current);
  const rotated = at < 0 ? order : [...order.slice(at + 1), ...order.slice(0, at)];
  return (
    rotated.find((e) => e.version_id !== current && !decided.has(e.version_id) && reviewPair(e) !== null) ?? null
  );
}
