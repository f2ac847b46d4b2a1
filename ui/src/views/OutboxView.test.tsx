import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import { resetServerState } from "../hooks/useServer";
import { OutboxView } from "./OutboxView";

function outboxEntry(id: string, state: OutboxEntry["state"], extra: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    decision: {
      id,
      reviewer: "user:4242:1",
      addon: { id: 101, guid: "tab-tidy@vetter.example" },
      version: { id: 10102, version: "1.1.0", file_sha256: "a".repeat(64) },
      action: "reject",
      versions: [],
      reasons: ["policy"],
      comments: "",
      line_comments: [],
      delayed_rejection_days: null,
      decided_at: "2026-11-23T10:00:00.000Z",
    },
    server: "http://127.0.0.1:1",
    kid: "kid",
    state,
    attempts: 1,
    created_at: "2026-11-23T10:00:00.000Z",
    updated_at: "2026-11-23T10:00:00.000Z",
    error_code: null,
    last_error: null,
    response: null,
    current_version: null,
    ...extra,
  };
}

describe("OutboxView", () => {
  afterEach(resetServerState);

  it("lists each state with the server's reply as text, and retries the waiting ones", async () => {
    let pushed = 0;
    let entries = [
      outboxEntry("a", "pending", { last_error: "cannot reach <i>server</i>" }),
      outboxEntry("b", "conflict", {
        last_error: "version moved on",
        current_version: { id: 10103, version: "1.2.0", hash: "sha256:x" },
        response: { code: "version_not_under_review" },
      }),
    ];
    mockIPC((cmd) => {
      if (cmd === "outbox_entries") return entries;
      if (cmd === "push_outbox") {
        pushed += 1;
        entries = [outboxEntry("a", "accepted"), ...entries.slice(1)];
        return { accepted: 1, conflicts: 0, rejected: 0, waiting: 0, stopped: null };
      }
      if (cmd === "server_status") return { server: null, api_key: null, kid: null, last_sync: null };
      throw new Error(`unexpected ${cmd}`);
    });
    render(<OutboxView />);
    await screen.findByTestId("outbox-table");
    const states = () => screen.getAllByTestId("outbox-state").map((s) => s.textContent);
    expect(states()).toEqual(["Pending", "Conflict"]);
    expect(screen.getByText(/cannot reach <i>server<\/i>/)).toBeTruthy();
    expect(screen.getByText(/now under review: 1.2.0/)).toBeTruthy();
    fireEvent.click(screen.getByTestId("outbox-retry"));
    await waitFor(() => expect(states()).toEqual(["Accepted", "Conflict"]));
    expect(pushed).toBe(1);
    expect(screen.getByTestId("outbox-retry-note").textContent).toContain("1 accepted");
  });
});
