import { describe, expect, it } from "vitest";
import type { LocalEntry } from "../bindings/LocalEntry";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import { nextEntry } from "./queue";

function entry(id: number, due: string, cached = true): LocalEntry {
  return {
    id,
    queue: "extension",
    addon_id: id,
    addon_name: `A${id}`,
    slug: `a${id}`,
    version_id: id * 10,
    version: "1.0",
    due_date: due,
    reasons: [],
    flags: [],
    weight: 0,
    weight_breakdown: [],
    file: cached ? { state: "cached", version_id: id * 100 } : { state: "pending" },
    last_approved_version_id: null,
    base_cached_version_id: id * 100 - 1,
    offline_ready: cached,
  };
}

const ENTRIES = [entry(1, "2026-01-01"), entry(2, "2026-01-02"), entry(3, "2026-01-03", false), entry(4, "2026-01-04")];

describe("nextEntry", () => {
  it("goes to the next entry by due date that is undecided and downloaded, wrapping around", () => {
    const none = new Map<number, OutboxEntry>();
    expect(nextEntry(ENTRIES, none, 10)?.id).toBe(2);
    // 3 is not downloaded: skipped.
    expect(nextEntry(ENTRIES, none, 20)?.id).toBe(4);
    expect(nextEntry(ENTRIES, none, 40)?.id).toBe(1);
    const decided = new Map([[20, {} as OutboxEntry]]);
    expect(nextEntry(ENTRIES, decided, 10)?.id).toBe(4);
  });

  it("says when nothing is left", () => {
    const all = new Map(ENTRIES.map((e) => [e.version_id, {} as OutboxEntry]));
    expect(nextEntry(ENTRIES, all, 10)).toBeNull();
    expect(nextEntry([], new Map(), null)).toBeNull();
  });
});
