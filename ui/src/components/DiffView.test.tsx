import { render, waitFor } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import type { FileLayout } from "../bindings/FileLayout";
import type { ViewRow } from "../bindings/ViewRow";
import { DiffView } from "./DiffView";

const BIG: FileLayout = {
  index: 0,
  rows: 50_000,
  max_cols: 1_000_000,
  changes: [0],
  syntax: "JavaScript",
  deadline_hit: false,
  options: { layout: "unified", wrap: null, pretty: false },
  pretty: false,
  signals: [],
};

function mockRows() {
  const requests: Array<{ start: number; count: number; colStart: number; colCount: number }> = [];
  mockIPC((cmd, args) => {
    if (cmd !== "file_rows") throw new Error(`unexpected command ${cmd}`);
    const a = args as { start: number; count: number; colStart: number; colCount: number };
    requests.push(a);
    const rows: ViewRow[] = [];
    for (let r = a.start; r < a.start + a.count; r++) {
      rows.push({
        type: "line",
        row: r,
        segment: 0,
        old: null,
        new: { line: r + 1, kind: "added", more: true, spans: [{ text: "x".repeat(a.colCount), class: "plain", changed: false, hidden: false }] },
      });
    }
    return rows;
  });
  return requests;
}

describe("DiffView", () => {
  it("asks for and draws only a window of a 50,000-row file", async () => {
    const requests = mockRows();
    const { container } = render(
      <DiffView index={0} path="big.js" layout={BIG} hits={new Set()} current={null} onLayout={() => {}} />,
    );
    await waitFor(() => expect(container.querySelectorAll(".drow").length).toBeGreaterThan(0));
    expect(requests).toHaveLength(1);
    const first = requests[0];
    expect(first?.start).toBe(0);
    expect(first?.count).toBeLessThan(400);
    // A million-character line is fetched a bounded column window at a time.
    expect(first?.colCount).toBeLessThan(2_000);
    expect(container.querySelectorAll(".drow").length).toBeLessThan(60);
  });

  it("gives the scrolling region an accessible name", async () => {
    mockRows();
    const { getByRole } = render(
      <DiffView index={0} path="lib/a.js" layout={BIG} hits={new Set()} current={null} onLayout={() => {}} />,
    );
    expect(getByRole("region").getAttribute("aria-label")).toBe("Diff of lib/a.js");
  });

  it("draws a hidden character the core marks as a styled marker naming its code point", async () => {
    mockIPC((cmd) => {
      if (cmd !== "file_rows") throw new Error(`unexpected command ${cmd}`);
      const rows: ViewRow[] = [
        {
          type: "line",
          row: 0,
          segment: 0,
          old: null,
          new: {
            line: 1,
            kind: "added",
            more: false,
            spans: [
              { text: "/*", class: "comment", changed: false, hidden: false },
              { text: "<U+202E>", class: "comment", changed: true, hidden: true },
              { text: " } ", class: "comment", changed: false, hidden: false },
            ],
          },
        },
      ];
      return rows;
    });
    const small: FileLayout = { ...BIG, rows: 1, max_cols: 20 };
    const { container } = render(
      <DiffView index={0} path={"a\u202Eb.js"} layout={small} hits={new Set()} current={null} onLayout={() => {}} />,
    );
    await waitFor(() => expect(container.querySelector(".hidden-char")).not.toBeNull());
    const mark = container.querySelector(".hidden-char");
    expect(mark?.textContent).toBe("<U+202E>");
    expect(mark?.getAttribute("title")).toContain("U+202E");
    expect(mark?.classList.contains("chg")).toBe(true);
    expect(container.querySelector(".dtext-inner")?.textContent).toBe("/*<U+202E> } ");
    // The file name in the region's label is revealed too.
    expect(container.querySelector('[role="region"]')?.getAttribute("aria-label")).toBe("Diff of a<U+202E>b.js");
  });
});
