import { describe, expect, it } from "vitest";
import type { ReviewSignal } from "../bindings/ReviewSignal";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import { fileLayout, reviewSummary, textFile } from "../test/review";
import { cachedVersion } from "../test/versions";
import { INITIAL_REVIEW, reviewReducer, type ReviewAction, type ReviewState } from "./reviewState";

function signal(path: string, line: number): ReviewSignal {
  return { source: "local", scanner: "t.yar", rule: "r", message: null, path, line, column: null };
}

// Files in index order; the tree shows lib/b.js (index 1) before a.js (index 0).
// lib/b.js is still being counted.
function summary(over: Partial<ReviewSummary> = {}): ReviewSummary {
  const counting = textFile("lib/b.js", "added");
  return reviewSummary(cachedVersion(1, "1.0"), cachedVersion(2, "1.1"), {
    files: [textFile("a.js", "modified"), { ...counting, change: { ...counting.change, added: null, removed: null } }],
    pending: 1,
    ...over,
  });
}

function run(actions: ReviewAction[], from: ReviewState = INITIAL_REVIEW): ReviewState {
  return actions.reduce(reviewReducer, from);
}

const opened = (s: ReviewSummary = summary()): ReviewAction => ({ type: "opened", pair: [1, 2], summary: s });

describe("reviewReducer: opening", () => {
  it("selects the first file in tree order and starts a new session", () => {
    const s = run([{ type: "open-start" }, opened()]);
    expect(s.selected).toBe(1);
    expect(s.session).toBe(1);
    expect(s.pair).toEqual([1, 2]);
    expect(s.opening).toBeNull();
  });

  it("applies line counts and signals that came before the summary", () => {
    const late = summary({ signals: [signal("a.js", 3)] });
    const s = run([
      { type: "open-start" },
      { type: "counts", batch: [{ index: 1, kind: "text", added: 40, removed: 2, deadline_hit: false, old_encoding: "utf8", new_encoding: "utf8" }] },
      { type: "signals", summary: late },
      opened(),
    ]);
    expect(s.summary?.files[1]?.change.added).toBe(40);
    expect(s.summary?.pending).toBe(0);
    expect(s.summary?.signals).toHaveLength(1);
  });

  it("keeps the review on screen when a new open fails, and says why", () => {
    const s = run([opened(), { type: "open-start" }, { type: "open-failed", message: "gone" }]);
    expect(s.summary).not.toBeNull();
    expect(s.openError).toBe("gone");
    expect(s.opening).toBeNull();
  });

  it("keeps the selected file's path across a reopen (whitespace change)", () => {
    const s = run([opened(), { type: "select", index: 0 }, { ...opened(), keepPath: "a.js" } as ReviewAction]);
    expect(s.selected).toBe(0);
    expect(s.session).toBe(2);
  });

  it("lands on a line of a file the pair did not change, appending it", () => {
    const target = { index: 2, file: textFile("c.js", "unchanged"), layout: fileLayout(2, { rows: 400 }), row: 299 };
    const s = run([{ ...opened(), target: { target, line: 300 } } as ReviewAction]);
    expect(s.summary?.files[2]?.change.path).toBe("c.js");
    expect(s.selected).toBe(2);
    expect(s.layout?.index).toBe(2);
    expect(s.landed).toEqual({ index: 2, row: 299, line: 300 });
    expect(s.scroll?.row).toBe(299);
  });
});

describe("reviewReducer: stale replies", () => {
  it("drops a layout asked for in an earlier session or for another file", () => {
    const s = run([opened(), opened()]);
    expect(run([{ type: "layout", session: 1, layout: fileLayout(1) }], s).layout).toBeNull();
    expect(run([{ type: "layout", session: 2, layout: fileLayout(0) }], s).layout).toBeNull();
    expect(run([{ type: "layout", session: 2, layout: fileLayout(1) }], s).layout?.index).toBe(1);
  });

  it("drops search hits of another file, session or query", () => {
    const s = run([opened(), { type: "query", text: "eval" }]);
    expect(run([{ type: "found", session: 0, index: 1, query: "eval", rows: [4] }], s).hits).toEqual([]);
    expect(run([{ type: "found", session: 1, index: 0, query: "eval", rows: [4] }], s).hits).toEqual([]);
    expect(run([{ type: "found", session: 1, index: 1, query: "ev", rows: [4] }], s).hits).toEqual([]);
    const found = run([{ type: "found", session: 1, index: 1, query: "eval", rows: [4, 9] }], s);
    expect(found.hits).toEqual([4, 9]);
    expect(found.hit).toBe(0);
    expect(found.scroll?.row).toBe(4);
  });

  it("drops a viewed count and a rescan of an earlier review", () => {
    const s = run([opened(), opened()]);
    expect(run([{ type: "viewed", session: 1, index: 1, viewed: true, count: 1 }], s).summary?.viewed).toBe(0);
    const marked = run([{ type: "viewed", session: 2, index: 1, viewed: true, count: 1 }], s);
    expect(marked.summary?.viewed).toBe(1);
    expect(marked.summary?.files[1]?.viewed).toBe(true);
    const rescanned = summary({ signals: [signal("a.js", 1)] });
    expect(run([{ type: "signals", session: 1, summary: rescanned }], s).summary?.signals).toEqual([]);
    expect(run([{ type: "signals", session: 2, summary: rescanned }], s).summary?.signals).toHaveLength(1);
  });

  it("lays the file out again only when the signals changed", () => {
    const s = run([opened()]);
    expect(run([{ type: "signals", summary: summary() }], s).revision).toBe(s.revision);
    expect(run([{ type: "signals", summary: summary({ signals: [signal("a.js", 1)] }) }], s).revision).toBe(s.revision + 1);
  });

  it("keeps counts of the next open away from the review still on screen", () => {
    const s = run([opened(), { type: "open-start" }, { type: "counts", batch: [{ index: 1, kind: "text", added: 9, removed: 9, deadline_hit: false, old_encoding: "utf8", new_encoding: "utf8" }] }]);
    expect(s.summary?.files[1]?.change.added).toBeNull();
    expect(s.opening?.counts).toHaveLength(1);
  });
});

describe("reviewReducer: moving around", () => {
  it("steps through files in tree order, resetting the change and the search", () => {
    const s = run([opened(), { type: "query", text: "x" }, { type: "found", session: 1, index: 1, query: "x", rows: [1] }]);
    const next = run([{ type: "step-file", delta: 1, order: [1, 0] }], s);
    expect(next.selected).toBe(0);
    expect(next.hits).toEqual([]);
    expect(run([{ type: "step-file", delta: 1, order: [1, 0] }], next).selected).toBe(0);
  });

  it("steps through changes within bounds and asks to scroll each time", () => {
    const s = run([opened(), { type: "layout", session: 1, layout: fileLayout(1, { changes: [3, 8] }) }]);
    const a = run([{ type: "step-change", delta: 1 }], s);
    const b = run([{ type: "step-change", delta: 1 }, { type: "step-change", delta: 1 }], a);
    expect(a.change).toBe(0);
    expect(a.scroll?.row).toBe(3);
    expect(b.change).toBe(1);
    expect(b.scroll?.row).toBe(8);
    // The last change again: the same row, still a new request.
    expect(b.scroll?.seq).toBe((a.scroll?.seq ?? 0) + 2);
  });

  it("goes to the next flagged file with a and lands on its first signal once it has them", () => {
    const flagged = summary({ signals: [signal("a.js", 2), signal("a.js", 5)] });
    const s = run([opened(flagged), { type: "layout", session: 1, layout: fileLayout(1) }, { type: "step-signal", delta: 1, order: [1, 0] }]);
    expect(s.selected).toBe(0);
    expect(s.landing).toEqual({ kind: "signal", at: "first" });
    // A layout made before the rule scan attached the signals: the landing waits.
    const early = run([{ type: "layout", session: 1, layout: fileLayout(0) }], s);
    expect(early.landing).not.toBeNull();
    const rows = [{ row: 1, signal: 0 }, { row: 4, signal: 1 }];
    const landed = run([{ type: "layout", session: 1, layout: fileLayout(0, { signals: rows }) }], early);
    expect(landed.landing).toBeNull();
    expect(landed.signalAt).toBe(0);
    expect(landed.scroll?.row).toBe(1);
    // z from the first signal of the only flagged file wraps to its last.
    const back = run([{ type: "step-signal", delta: -1, order: [1, 0] }], landed);
    expect(back.signalAt).toBe(1);
    expect(back.scroll?.row).toBe(4);
  });

  it("lands on the signals of the open file when a arrives before its relayout brings them", () => {
    // The file on screen is the flagged one, but its layout was made before the rule scan
    // attached the signals: a must not be lost.
    const flagged = summary({ signals: [signal("a.js", 2)] });
    const s = run([opened(flagged), { type: "select", index: 0 }, { type: "layout", session: 1, layout: fileLayout(0) }]);
    const pressed = run([{ type: "step-signal", delta: 1, order: [0, 1] }], s);
    expect(pressed.selected).toBe(0);
    expect(pressed.landing).toEqual({ kind: "signal", at: "first" });
    const landed = run([{ type: "layout", session: 1, layout: fileLayout(0, { signals: [{ row: 3, signal: 0 }] }) }], pressed);
    expect(landed.signalAt).toBe(0);
    expect(landed.scroll?.row).toBe(3);
  });

  it("wraps search hits both ways", () => {
    const s = run([opened(), { type: "query", text: "x" }, { type: "found", session: 1, index: 1, query: "x", rows: [2, 6, 9] }]);
    expect(run([{ type: "step-hit", delta: -1 }], s).hit).toBe(2);
    expect(run([{ type: "step-hit", delta: 1 }, { type: "step-hit", delta: 1 }, { type: "step-hit", delta: 1 }], s).hit).toBe(0);
  });
});
