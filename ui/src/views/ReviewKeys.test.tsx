import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { ReviewSignal } from "../bindings/ReviewSignal";
import type { ViewRow } from "../bindings/ViewRow";
import { fileLayout, reviewSummary, textFile } from "../test/review";
import { cachedVersion } from "../test/versions";
import { ReviewView } from "./ReviewView";

function signal(line: number): ReviewSignal {
  return { source: "server", scanner: "yara", rule: `rule_${line}`, message: null, path: "background.js", line, column: null };
}

// Tree order puts lib/a.js (index 1) first; background.js (index 0) holds both signals.
const SUMMARY = reviewSummary(cachedVersion(1, "1.0"), cachedVersion(2, "1.1"), {
  files: [textFile("background.js", "modified"), textFile("lib/a.js", "added")],
  signals: [signal(12), signal(13)],
});

const ROWS: ViewRow[] = [0, 1, 2].map((row) => ({
  type: "line",
  row,
  segment: 0,
  old: null,
  new: { line: row + 11, kind: "added", more: false, spans: [{ text: `line ${row}`, class: "plain", changed: false, hidden: false }] },
}));

function mock() {
  const views: Array<{ index: number; pretty: boolean }> = [];
  mockIPC((cmd, args) => {
    switch (cmd) {
      case "cached_addons":
        return [{ guid: "x@example.com", name: "Addon", versions: [SUMMARY.old, SUMMARY.new] }];
      case "open_review":
      case "review_summary":
        return SUMMARY;
      case "view_file": {
        const a = args as { index: number; options: { pretty: boolean } };
        views.push({ index: a.index, pretty: a.options.pretty });
        const signals = a.index === 0 ? [{ row: 1, signal: 0 }, { row: 2, signal: 1 }] : [];
        return fileLayout(a.index, { signals, pretty: a.options.pretty });
      }
      case "file_rows":
        return ROWS;
      case "set_viewed":
        return 1;
      case "find_in_file":
        return [];
      case "decision_target":
        throw { code: "not_found", message: "no queue entry" };
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  return views;
}

async function openReview() {
  const user = userEvent.setup();
  render(<ReviewView />);
  await user.click(await screen.findByTestId("open-review"));
  await screen.findByTestId("change-position");
  return user;
}

/** The text of the signal position, once the diff shows one. */
const position = () => screen.queryByTestId("signal-position")?.textContent;

afterEach(() => window.localStorage.clear());

describe("Review keys", () => {
  it("reacts to exactly the review and decision keys the help lists", async () => {
    mock();
    await openReview();
    fireEvent.keyDown(document.body, { key: "?" });
    const help = screen.getByTestId("key-help");
    const listed = new Set(
      [...help.querySelectorAll('tr[data-scope="review"] kbd, tr[data-scope="decide"] kbd')].map((k) => k.textContent),
    );
    fireEvent.keyDown(help, { key: "Escape" });
    expect(screen.queryByTestId("key-help")).toBeNull();
    for (const key of ["a", "z", "f", "o", "Shift A"]) expect(listed).toContain(key);

    const reacted = new Set<string>();
    const tries: Array<{ key: string; shiftKey: boolean; label: string }> = [];
    for (let c = 33; c < 127; c++) {
      const key = String.fromCharCode(c);
      const upper = key !== key.toLowerCase();
      tries.push({ key, shiftKey: upper, label: upper ? `Shift ${key}` : key });
    }
    for (const t of tries) {
      const unhandled = fireEvent.keyDown(document.body, { key: t.key, shiftKey: t.shiftKey });
      if (!unhandled) reacted.add(t.label);
      // Close whatever the key opened, so the next key reaches the review again.
      const open = screen.queryByTestId("key-help") ?? screen.queryByTestId("decision-panel");
      if (open) fireEvent.keyDown(open, { key: "Escape" });
    }
    expect([...reacted].sort()).toEqual([...listed].sort());
  });

  it("walks signals across files with a and z, and pretty-prints with f", async () => {
    const views = mock();
    const user = await openReview();
    expect(screen.getByTestId("diff-path").textContent).toBe("lib/a.js");
    await user.keyboard("a");
    await waitFor(() => expect(position()).toBe("signal 1 of 2"));
    expect(screen.getByTestId("diff-path").textContent).toBe("background.js");
    await user.keyboard("a");
    await waitFor(() => expect(position()).toBe("signal 2 of 2"));
    await user.keyboard("z");
    await waitFor(() => expect(position()).toBe("signal 1 of 2"));
    // z before the first signal of the only flagged file wraps to its last.
    await user.keyboard("z");
    await waitFor(() => expect(position()).toBe("signal 2 of 2"));

    expect(screen.getByTestId("pretty-toggle").getAttribute("aria-pressed")).toBe("false");
    await user.keyboard("f");
    expect(screen.getByTestId("pretty-toggle").getAttribute("aria-pressed")).toBe("true");
    await waitFor(() => expect(views.at(-1)).toEqual({ index: 0, pretty: true }));
  });

  it("leaves keys alone while the reviewer types in a field", async () => {
    mock();
    const user = await openReview();
    await user.click(screen.getByTestId("find-input"));
    await user.keyboard("j");
    expect(screen.getByTestId("diff-path").textContent).toBe("lib/a.js");
    expect((screen.getByTestId("find-input") as HTMLInputElement).value).toBe("j");
  });
});
