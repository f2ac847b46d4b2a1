import { fireEvent, render, renderHook, screen, within } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalEntry } from "../bindings/LocalEntry";
import type { Vocabulary } from "../bindings/Vocabulary";
import { resetServerState } from "../hooks/useServer";
import { useNavigation } from "../lib/navigation";
import { sortEntries } from "../lib/queue";
import { MARK_QUEUE_PAINTED, QueuesView } from "./QueuesView";

function entry(id: number, name: string, due: string, weight: number, extra: Partial<LocalEntry> = {}): LocalEntry {
  return {
    id,
    queue: "extension",
    addon_id: id,
    addon_name: name,
    slug: name.toLowerCase(),
    version_id: id * 10,
    version: "1.1.0",
    due_date: due,
    reasons: ["new_version"],
    flags: [],
    weight,
    weight_breakdown: [],
    file: { state: "cached", version_id: id * 100 },
    last_approved_version_id: id * 10 - 1,
    base_cached_version_id: id * 100 - 1,
    offline_ready: true,
    ...extra,
  };
}

const ENTRIES = [
  entry(1, "Zeta", "2000-01-01T00:00:00Z", 10, {
    reasons: ["abuse_reports"],
    flags: ["promoted"],
    weight_breakdown: [
      { factor: "uses_remote_scripts", points: 100 },
      { factor: "reputation", points: -100 },
      { factor: "abuse_reports", points: 15 },
      { factor: "local_factor", points: 5 },
    ],
  }),
  entry(2, "Alpha", "2999-01-01T00:00:00Z", 90),
  entry(3, "Mid", "2998-01-01T00:00:00Z", 50, { file: { state: "pending" }, offline_ready: false }),
];

const VOCABULARY: Vocabulary = {
  queues: [{ name: "extension", title: "Manual Review", description: "Versions that need a human.", usual_action: "public", actions: [] }],
  reasons: [{ name: "abuse_reports", title: "Over abuse reports threshold", description: "Many reports." }],
  flags: [{ name: "promoted", title: "Promoted", description: "In a promoted group." }],
  weight_factors: [
    { name: "uses_remote_scripts", title: "Remote scripts", description: "" },
    { name: "reputation", title: "Reputation", description: "" },
    { name: "abuse_reports", title: "Abuse reports", description: "" },
  ],
  actions: [],
  review_reasons: [],
};

function mock(outbox: unknown[] = []) {
  mockIPC((cmd) => {
    if (cmd === "outbox_entries") return outbox;
    if (cmd === "local_queues") return [{ name: "extension", count: 3 }];
    if (cmd === "queue_entries") return ENTRIES;
    if (cmd === "server_status") return { server: null, api_key: null, kid: null, last_sync: null };
    if (cmd === "vocabulary") return VOCABULARY;
    throw new Error(`unexpected ${cmd}`);
  });
}

const names = () => screen.getAllByTestId("open-entry").map((b) => b.textContent);

describe("QueuesView", () => {
  afterEach(resetServerState);

  it("sorts by due date, weight and name", async () => {
    mock();
    render(<QueuesView />);
    await screen.findByTestId("queue-table");
    expect(names()).toEqual(["Zeta 1.1.0", "Mid 1.1.0", "Alpha 1.1.0"]);
    fireEvent.change(screen.getByTestId("queue-sort"), { target: { value: "weight" } });
    expect(names()).toEqual(["Alpha 1.1.0", "Mid 1.1.0", "Zeta 1.1.0"]);
    fireEvent.change(screen.getByTestId("queue-sort"), { target: { value: "name" } });
    expect(names()).toEqual(["Alpha 1.1.0", "Mid 1.1.0", "Zeta 1.1.0"]);
  });

  it("marks overdue entries, filters by reason and flag, and says what is cached", async () => {
    mock();
    render(<QueuesView />);
    await screen.findByTestId("queue-table");
    const [first, second] = screen.getAllByTestId("queue-entry");
    if (!first || !second) throw new Error("expected two rows");
    expect(within(first).getByTestId("entry-due").className).toBe("overdue");
    expect(within(second).getByTestId("entry-due").className).toBe("");
    expect(within(first).getByTestId("entry-due").textContent).toMatch(/^overdue \d+ d$/);
    expect(within(second).getByTestId("entry-due").textContent).toMatch(/^due in \d+ d$/);
    expect(within(first).getByTestId("entry-due").querySelector("time")?.title).toContain("2000-01-01T00:00:00Z");
    expect(within(second).getByTestId("entry-cached").textContent).toBe("Not downloaded");
    fireEvent.change(screen.getByTestId("filter-reason"), { target: { value: "abuse_reports" } });
    expect(names()).toEqual(["Zeta 1.1.0"]);
    fireEvent.change(screen.getByTestId("filter-reason"), { target: { value: "" } });
    fireEvent.change(screen.getByTestId("filter-flag"), { target: { value: "promoted" } });
    expect(names()).toEqual(["Zeta 1.1.0"]);
  });

  it("opens an entry as the review of its cached pair, and not before it is downloaded", async () => {
    mock();
    render(<QueuesView />);
    await screen.findByTestId("queue-table");
    const [ready, pending] = screen.getAllByTestId("open-entry") as HTMLButtonElement[];
    if (!ready || !pending) throw new Error("expected two entries");
    expect(pending.disabled).toBe(true);
    fireEvent.click(ready);
    const { result } = renderHook(() => useNavigation());
    // The entry's server version goes with the pair, so a decision names the version opened.
    expect(result.current.request).toMatchObject({ old: 99, next: 100, remoteVersionId: 10 });
    expect(result.current.request?.at).toBeUndefined();
    expect(result.current.view).toBe("review");
    expect(window.location.hash).toBe("#/review");
  });

  it("marks the first frame after the cached queue is drawn, once", async () => {
    performance.clearMarks(MARK_QUEUE_PAINTED);
    mock();
    const { unmount } = render(<QueuesView />);
    await screen.findByTestId("queue-table");
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    expect(performance.getEntriesByName(MARK_QUEUE_PAINTED)).toHaveLength(1);
    unmount();
    render(<QueuesView />);
    await screen.findByTestId("queue-table");
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    expect(performance.getEntriesByName(MARK_QUEUE_PAINTED)).toHaveLength(1);
  });

  it("sorts ties by id", () => {
    const same = [entry(5, "B", "x", 1), entry(4, "A", "x", 1)];
    expect(sortEntries(same, "due").map((e) => e.id)).toEqual([4, 5]);
  });

  it("moves a selection with j and k and opens it with Enter; ? lists the queue's keys", async () => {
    mock();
    render(<QueuesView />);
    await screen.findByTestId("queue-table");
    const selected = () =>
      screen
        .getAllByTestId("queue-entry")
        .filter((r) => r.getAttribute("aria-selected") === "true")
        .map((r) => r.dataset.addon);
    expect(selected()).toEqual(["zeta"]);
    fireEvent.keyDown(window, { key: "j" });
    expect(selected()).toEqual(["mid"]);
    fireEvent.keyDown(window, { key: "j" });
    fireEvent.keyDown(window, { key: "j" });
    expect(selected()).toEqual(["alpha"]);
    fireEvent.keyDown(window, { key: "k" });
    fireEvent.keyDown(window, { key: "k" });
    expect(selected()).toEqual(["zeta"]);
    fireEvent.keyDown(window, { key: "?" });
    const help = screen.getByTestId("key-help");
    const scopes = new Set([...help.querySelectorAll("tr")].map((r) => r.dataset.scope));
    expect(scopes).toEqual(new Set(["queues", "help", "app"]));
    fireEvent.keyDown(help, { key: "Escape" });
    expect(screen.queryByTestId("key-help")).toBeNull();
    fireEvent.keyDown(window, { key: "Enter" });
    const { result } = renderHook(() => useNavigation());
    expect(result.current.request).toMatchObject({ old: 99, next: 100, remoteVersionId: 10 });
  });

  it("shows the server's words for queues, reasons and flags, and the weight's factors", async () => {
    mock();
    render(<QueuesView />);
    await screen.findByText("Manual Review (3)");
    const [first] = screen.getAllByTestId("queue-entry");
    if (!first) throw new Error("expected a row");
    const reason = within(first).getByTestId("entry-reasons").querySelector("li");
    expect(reason?.textContent).toBe("Over abuse reports threshold");
    expect(reason?.title).toBe("Many reports. (abuse_reports)");
    expect(within(first).getByTestId("entry-flags").textContent).toBe("Promoted");
    const weight = within(first).getByTestId("entry-weight");
    const shown = [...weight.querySelectorAll("li")].map((li) => li.textContent);
    // Largest first as the backend sorts them; an unknown factor still reads as words.
    expect(shown).toEqual(["Remote scripts +100", "Reputation -100", "Abuse reports +15", "and 1 more"]);
    expect(weight.title).toContain("Local factor +5");
    const option = [...screen.getByTestId("filter-reason").querySelectorAll("option")].map((o) => o.textContent);
    expect(option).toContain("Over abuse reports threshold");
  });

  it("marks an entry decided once the outbox holds a decision for its version", async () => {
    const decision = (state: string, version: number) => ({
      decision: { version: { id: version, version: "1.1.0" }, action: "public", decided_at: "2026-12-04T10:00:00Z" },
      state,
    });
    // A refused decision leaves the entry to decide again.
    mock([decision("pending", 10), decision("rejected", 20)]);
    render(<QueuesView />);
    await screen.findByTestId("queue-table");
    const decided = screen.getAllByTestId("entry-decided");
    expect(decided.map((d) => d.closest("tr")?.dataset.addon)).toEqual(["zeta"]);
    expect(decided[0]?.textContent).toBe("Public, waiting to be sent");
    expect(decided[0]?.closest("tr")?.className).toContain("decided");
  });
});
