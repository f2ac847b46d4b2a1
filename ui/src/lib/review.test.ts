import { describe, expect, it } from "vitest";
import type { FileCounts } from "../bindings/FileCounts";
import type { ReviewFile } from "../bindings/ReviewFile";
import type { ReviewSignal } from "../bindings/ReviewSignal";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import {
  applyCounts,
  fileWithSignals,
  sameSignals,
  signalCounts,
  signalLabel,
  signalsByRow,
  stepSignal,
  withSignalsOf,
} from "./review";

function file(path: string): ReviewFile {
  return {
    viewed: false,
    change: {
      path,
      old_path: null,
      status: "modified",
      kind: "text",
      old_size: 1,
      new_size: 1,
      old_sha256: null,
      new_sha256: null,
      added: null,
      removed: null,
      similarity: null,
      old_encoding: null,
      new_encoding: null,
      deadline_hit: false,
    },
  };
}

function summary(paths: string[]): ReviewSummary {
  return {
    files: paths.map(file),
    pending: paths.length,
    totals: { added: 0, deleted: 0, modified: paths.length, renamed: 0, unchanged: 0, lines_added: 0, lines_removed: 0 },
    signals: [],
  } as unknown as ReviewSummary;
}

function counts(index: number, added: number, removed: number): FileCounts {
  return { index, kind: "text", added, removed, deadline_hit: false, old_encoding: "utf8", new_encoding: "utf8" };
}

function signal(path: string, line: number, extra: Partial<ReviewSignal> = {}): ReviewSignal {
  return { source: "server", scanner: "yara", rule: "r", message: null, path, line, column: null, ...extra };
}

describe("applyCounts", () => {
  it("fills counts in as they arrive and sums the totals", () => {
    const s = applyCounts(summary(["a.js", "b.js"]), [counts(1, 5, 2)]);
    expect(s.files[1]?.change.added).toBe(5);
    expect(s.files[0]?.change.added).toBeNull();
    expect(s.pending).toBe(1);
    expect(s.totals.lines_added).toBe(5);
    const t = applyCounts(s, [counts(0, 1, 1)]);
    expect(t.pending).toBe(0);
    expect(t.totals.lines_removed).toBe(3);
  });

  it("ignores counts for a file that was already counted or is not in the list", () => {
    const s = applyCounts(summary(["a.js"]), [counts(0, 5, 2)]);
    const t = applyCounts(s, [counts(0, 9, 9), counts(7, 1, 1)]);
    expect(t.files[0]?.change.added).toBe(5);
    expect(t.pending).toBe(0);
  });

  it("takes a corrected kind from the bytes", () => {
    const s = applyCounts(summary(["x.png"]), [{ ...counts(0, 0, 0), kind: "binary", added: null, removed: null }]);
    expect(s.files[0]?.change.kind).toBe("binary");
  });
});

describe("signals", () => {
  it("roll up per file and per folder", () => {
    const m = signalCounts([signal("a/b/c.js", 1), signal("a/b/c.js", 2), signal("a/d.js", 3), signal("top.js", 1)]);
    expect(m.get("a/b/c.js")).toBe(2);
    expect(m.get("a/b/")).toBe(2);
    expect(m.get("a/")).toBe(3);
    expect(m.get("top.js")).toBe(1);
    expect(m.has("")).toBe(false);
  });

  it("group by display row", () => {
    const sigs = [signal("a.js", 1), signal("a.js", 1, { rule: "other" }), signal("a.js", 9)];
    const m = signalsByRow(
      [
        { row: 4, signal: 0 },
        { row: 4, signal: 1 },
        { row: 20, signal: 2 },
        { row: 21, signal: 99 },
      ],
      sigs,
    );
    expect(m.get(4)?.map((s) => s.rule)).toEqual(["r", "other"]);
    expect(m.get(20)).toHaveLength(1);
    expect(m.has(21)).toBe(false);
  });

  it("step within a file, then hand over to the next or previous file", () => {
    const rows = [
      { row: 3, signal: 0 },
      { row: 8, signal: 1 },
    ];
    expect(stepSignal(rows, -1, 1)).toBe(0);
    expect(stepSignal(rows, 0, 1)).toBe(1);
    expect(stepSignal(rows, 1, 1)).toBe("next-file");
    expect(stepSignal(rows, 0, -1)).toBe("previous-file");
    expect(stepSignal([], -1, 1)).toBe("next-file");
  });

  it("find the next flagged file in tree order, wrapping", () => {
    const paths = ["a.js", "b.js", "c.js"];
    const m = signalCounts([signal("c.js", 1), signal("a.js", 1)]);
    expect(fileWithSignals([0, 1, 2], paths, m, 0, 1)).toBe(2);
    expect(fileWithSignals([0, 1, 2], paths, m, 2, 1)).toBe(0);
    expect(fileWithSignals([0, 1, 2], paths, m, 0, -1)).toBe(2);
    expect(fileWithSignals([0, 1, 2], paths, new Map(), 0, 1)).toBeNull();
  });

  it("label local rules apart from server scanners", () => {
    expect(signalLabel(signal("a.js", 1, { message: "eval of remote code" }))).toBe("yara: r — eval of remote code");
    expect(signalLabel(signal("a.js", 1, { source: "local", scanner: "mine" }))).toBe("local rule mine: r");
  });

  it("compare signal lists finding by finding", () => {
    const list = [signal("a.js", 1), signal("b.js", 2)];
    expect(sameSignals(list, [signal("a.js", 1), signal("b.js", 2)])).toBe(true);
    expect(sameSignals(list, [signal("a.js", 1)])).toBe(false);
    expect(sameSignals(list, [signal("a.js", 1), signal("b.js", 2, { source: "local" })])).toBe(false);
    expect(sameSignals(list, [signal("a.js", 1), signal("b.js", 2, { column: 7 })])).toBe(false);
    expect(sameSignals([], [])).toBe(true);
  });

  it("take a newer summary's signals and added files but keep the counts already shown", () => {
    const base = summary(["a.js", "b.js"]);
    const shown = { ...base, files: base.files.map((f, i) => (i === 0 ? { ...f, change: { ...f.change, added: 5 } } : f)) };
    const next = summary(["a.js", "b.js", "flagged.js"]);
    next.signals = [signal("flagged.js", 2)];
    const merged = withSignalsOf(shown, next);
    expect(merged.files.map((f) => f.change.path)).toEqual(["a.js", "b.js", "flagged.js"]);
    expect(merged.files[0]?.change.added).toBe(5);
    expect(merged.signals).toEqual(next.signals);
    expect(withSignalsOf(shown, summary(["a.js"])).files).toBe(shown.files);
  });
});
