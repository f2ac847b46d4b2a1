import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { SyncProgress } from "../bindings/SyncProgress";
import type { SyncReport } from "../bindings/SyncReport";

let pending: { progress: (p: SyncProgress) => void; resolve: (r: SyncReport) => void } | null = null;

vi.mock("../ipc", () => ({
  flowCommands: {
    serverStatus: () => Promise.resolve({ server: "http://127.0.0.1:1", api_key: "k", kid: "kid", last_sync: null }),
    syncNow: (onProgress: (p: SyncProgress) => void) =>
      new Promise<SyncReport>((resolve) => {
        pending = { progress: onProgress, resolve };
      }),
  },
  toUiError: (e: unknown) => ({ code: "x", message: String(e) }),
}));

import { refreshServerStatus, resetServerState } from "../hooks/useServer";
import { SyncButton } from "./SyncButton";

const REPORT: SyncReport = {
  online: true,
  pushed: { accepted: 1, conflicts: 0, rejected: 0, waiting: 0, stopped: null },
  synced: {
    queues: 5,
    entries_changed: 7,
    entries_removed: 0,
    addons_refreshed: 7,
    downloaded: 12,
    quarantined: 0,
    requests: 30,
    bytes_received: 1000,
    retries: 0,
    metadata_ms: 10,
    downloads_ms: 20,
  },
  finished_at: "2026-11-23T12:00:00.000Z",
};

describe("SyncButton", () => {
  afterEach(resetServerState);

  it("shows live progress, then the result, and ignores progress that arrives after the reply", async () => {
    await act(refreshServerStatus);
    render(<SyncButton />);
    fireEvent.click(screen.getByTestId("sync-button"));
    const run = pending;
    if (!run) throw new Error("syncNow was not called");
    act(() => run.progress({ phase: "downloads", done: 3, total: 12, bytes: 4096 }));
    expect(screen.getByTestId("sync-progress").textContent).toContain("3 of 12");
    await act(async () => run.resolve(REPORT));
    // Tauri channels may deliver after the command resolved.
    act(() => run.progress({ phase: "done", done: 12, total: 12, bytes: 9000 }));
    expect(screen.queryByTestId("sync-progress")).toBeNull();
    expect(screen.getByTestId("sync-result").textContent).toContain("12 XPIs downloaded");
    expect((screen.getByTestId("sync-button") as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getByTestId("sync-bar").dataset.syncsEnded).toBe("1");
  });
});
