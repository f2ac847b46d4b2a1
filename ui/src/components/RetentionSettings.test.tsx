import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { PrunePlan } from "../bindings/PrunePlan";
import type { PruneProgress } from "../bindings/PruneProgress";
import type { PruneReport } from "../bindings/PruneReport";
import type { RetentionRules } from "../bindings/RetentionRules";

const PLAN: PrunePlan = {
  rules: { keep_last: 1 },
  kept: [
    { id: 3, guid: "a@example.org", version: "3.0", reasons: ["recent", "open_queue"] },
    { id: 1, guid: "a@example.org", version: "1.0", reasons: ["pinned"] },
  ],
  removed: [{ id: 2, guid: "a@example.org", version: "2.0", reasons: [] }],
  blobs_removed: 7,
  blob_bytes_removed: 3 * 1024 * 1024,
  blobs_kept_as_bases: 4,
  blobs_rewritten: 2,
  rewritten_bytes_now: 1024,
  rewritten_bytes_estimate: 200 * 1024,
  free_page_bytes: 0,
  file_bytes: 10 * 1024 * 1024,
  estimated_bytes_returned: 2 * 1024 * 1024 + 900 * 1024,
};

const calls: Array<{ cmd: string; rules?: RetentionRules }> = [];
let running: { progress: (p: PruneProgress) => void; resolve: (r: PruneReport) => void } | null = null;
let pins = [1];

vi.mock("../ipc", () => ({
  commands: {
    prunePlan: (rules: RetentionRules) => {
      calls.push({ cmd: "prune_plan", rules });
      return Promise.resolve({ ...PLAN, rules });
    },
    pruneCache: (rules: RetentionRules, onProgress: (p: PruneProgress) => void) => {
      calls.push({ cmd: "prune_cache", rules });
      return new Promise<PruneReport>((resolve) => {
        running = { progress: onProgress, resolve };
      });
    },
    pinnedVersions: () => Promise.resolve([...pins]),
    setPinned: (version: number, pinned: boolean) => {
      calls.push({ cmd: `set_pinned ${version} ${pinned}` });
      pins = pinned ? [...pins, version] : pins.filter((p) => p !== version);
      return Promise.resolve(null);
    },
    cachedAddons: () =>
      Promise.resolve([
        { guid: "a@example.org", name: "Tab Tidy", versions: [{ id: 1, label: "1.0" }] },
      ]),
  },
  toUiError: (e: unknown) => ({ code: "x", message: String(e) }),
}));

import { RetentionSettings } from "./RetentionSettings";

describe("RetentionSettings", () => {
  it("previews with the rules typed, prunes with progress, reports the sizes and unpins", async () => {
    const user = userEvent.setup();
    render(<RetentionSettings />);
    // Nothing can be pruned before a preview said what would go.
    expect((screen.getByTestId("prune-run") as HTMLButtonElement).disabled).toBe(true);
    const keep = screen.getByTestId("keep-last");
    await user.clear(keep);
    await user.type(keep, "1");
    await user.click(screen.getByTestId("prune-preview"));
    const plan = await screen.findByTestId("prune-plan");
    expect(calls.at(-1)).toEqual({ cmd: "prune_plan", rules: { keep_last: 1 } });
    expect(plan.textContent).toContain("Would remove 1 of 3 versions and 7 stored files (3.0 MiB)");
    expect(plan.textContent).toContain("about 2.9 MiB of the cache's 10.0 MiB returns");
    expect(plan.textContent).toContain("4 stored files no kept version uses stay as the bases");
    expect(screen.getByTestId("prune-kept").textContent).toContain("1 kept: pinned");
    expect(screen.getByTestId("prune-removed").textContent).toContain("a@example.org 2.0");

    await user.click(screen.getByTestId("prune-run"));
    expect(calls.at(-1)).toEqual({ cmd: "prune_cache", rules: { keep_last: 1 } });
    const run = running;
    if (!run) throw new Error("pruneCache was not called");
    act(() => run.progress({ step: "blobs", done: 3, total: 7 }));
    expect(screen.getByTestId("prune-progress").textContent).toContain("Removing unused files: 3 of 7");
    await act(async () => {
      run.resolve({
        plan: PLAN,
        versions_removed: 1,
        blobs_removed: 7,
        blobs_rewritten: 2,
        file_bytes_before: 10 * 1024 * 1024,
        file_bytes_after: 7 * 1024 * 1024,
      });
    });
    expect(screen.getByTestId("prune-result").textContent).toContain("went from 10.0 MiB to 7.0 MiB");
    expect(screen.queryByTestId("prune-progress")).toBeNull();

    const pinned = await screen.findByTestId("pinned-list");
    await waitFor(() => expect(pinned.textContent).toContain("Tab Tidy 1.0"));
    await user.click(screen.getByRole("button", { name: "Unpin Tab Tidy 1.0" }));
    await waitFor(() => expect(screen.queryByTestId("pinned-list")).toBeNull());
    expect(calls.at(-1)).toEqual({ cmd: "set_pinned 1 false" });
  });
});
