// Which queue entries already have a decision: the outbox knows every decision signed here, by
// the server version it names, so the queue and the review can mark an entry decided at once,
// before the server has even heard of it.
import type { OutboxEntry } from "../bindings/OutboxEntry";

/** The latest decision signed here for each server version, by version id. A decision the
 * server refused does not count: the entry still needs one. */
export function decidedVersions(outbox: OutboxEntry[] | null): Map<number, OutboxEntry> {
  const by = new Map<number, OutboxEntry>();
  for (const e of outbox ?? []) {
    if (e.state === "rejected" || e.state === "conflict") continue;
    const before = by.get(e.decision.version.id);
    if (!before || before.decision.decided_at < e.decision.decided_at) by.set(e.decision.version.id, e);
  }
  return by;
}

/** How a decided entry reads: "Approve, sent" / "Reject, waiting to be sent". */
export function decidedLabel(actionTitle: string, entry: OutboxEntry): string {
  const where = entry.state === "accepted" ? "sent" : "waiting to be sent";
  return `${actionTitle}, ${where}`;
}
