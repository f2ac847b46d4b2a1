import { act, render, screen, waitFor } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import type { FileLayout } from "../bindings/FileLayout";
import type { LineTarget } from "../bindings/LineTarget";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import type { VersionInfo } from "../bindings/VersionInfo";
import { cachedVersion } from "../test/versions";
import { navigate } from "../lib/navigation";
import { ReviewView } from "./ReviewView";
import { reviewSummary, textFile } from "../test/review";

function version(id: number, v: string): VersionInfo {
  return cachedVersion(id, v);
}

const SUMMARY: ReviewSummary = reviewSummary(version(1, "1.0"), version(2, "1.1"), {
  files: [textFile("background.js", "modified")],
  totals: { added: 0, deleted: 0, modified: 1, renamed: 0, unchanged: 1, lines_added: 1, lines_removed: 1 },
});

const LAYOUT: FileLayout = {
  index: 1,
  rows: 400,
  max_cols: 40,
  changes: [],
  syntax: "JavaScript",
  deadline_hit: false,
  options: { layout: "unified", wrap: null, pretty: false },
  pretty: false,
  signals: [],
};

describe("ReviewView landing on a line", () => {
  it("opens the requested pair, lists a file unchanged in it, and marks the landed row", async () => {
    const calls: Array<{ cmd: string; args: unknown }> = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args });
      switch (cmd) {
        case "cached_addons":
          return [{ guid: "x@example.com", name: "Addon", versions: [version(1, "1.0"), version(2, "1.1")] }];
        case "open_review":
          return SUMMARY;
        case "reveal_line": {
          const t: LineTarget = { index: 1, file: textFile("content/content.js", "unchanged"), layout: LAYOUT, row: 299 };
          return t;
        }
        case "view_file":
          return LAYOUT;
        case "file_rows": {
          const a = args as { start: number; count: number };
          return Array.from({ length: Math.min(a.count, 400 - a.start) }, (_, k) => ({
            type: "line",
            row: a.start + k,
            segment: 0,
            old: { line: a.start + k + 1, kind: "context", more: false, spans: [{ text: `line ${a.start + k + 1}`, class: "plain", changed: false }] },
            new: { line: a.start + k + 1, kind: "context", more: false, spans: [] },
          }));
        }
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    });
    render(<ReviewView />);
    act(() => navigate({ view: "review", open: { old: 1, next: 2, at: { path: "content/content.js", line: 300 } } }));
    await waitFor(() => expect(screen.getByTestId("diff-path").textContent).toBe("content/content.js"));
    expect(calls).toContainEqual({
      cmd: "open_review",
      args: expect.objectContaining({ old: 1, new: 2, whitespace: "all" }) as unknown,
    });
    expect(calls).toContainEqual({
      cmd: "reveal_line",
      args: { path: "content/content.js", line: 300, options: { layout: "unified", wrap: null, pretty: false } },
    });
    // The unchanged file joined the file list.
    expect(screen.getByText("content.js")).toBeTruthy();
    // The diff scrolled towards the landed row.
    await waitFor(() => expect(screen.getByTestId("diff-scroller").scrollTop).toBeGreaterThan(0));
  });
});
