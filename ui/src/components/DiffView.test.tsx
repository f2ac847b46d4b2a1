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
        new: { line: r + 1, kind: "added", more: true, spans: [{ text: "x".repeat(a.colCount), class: "plain", changed: false }] },
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
});
