import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import { App } from "./App";
import type { AppInfo } from "./bindings/AppInfo";
import { resetServerState } from "./hooks/useServer";

const INFO: AppInfo = { version: "9.8.7", data_dir: "/tmp/vetter-test", schema_version: 3 };

function mockAppInfo() {
  const calls: string[] = [];
  mockIPC((cmd) => {
    calls.push(cmd);
    if (cmd === "app_info") return INFO;
    if (cmd === "launch_login") return null;
    throw new Error(`unexpected command ${cmd}`);
  });
  return calls;
}

describe("App frame", () => {
  it("opens on the queues view with its empty state", () => {
    mockAppInfo();
    render(<App />);
    const view = screen.getByTestId("view-queues");
    expect(within(view).getByRole("heading", { level: 1 }).textContent).toBe("Queues");
    expect(within(view).getByText("Nothing synced yet")).toBeTruthy();
  });

  it("switches to each view from the sidebar and focuses its heading", async () => {
    mockAppInfo();
    const user = userEvent.setup();
    render(<App />);
    for (const [id, title] of [
      ["review", "Review"],
      ["outbox", "Outbox"],
      ["search", "Search"],
      ["settings", "Settings"],
      ["queues", "Queues"],
    ] as const) {
      await user.click(screen.getByTestId(`nav-${id}`));
      const heading = within(screen.getByTestId(`view-${id}`)).getByRole("heading", { level: 1 });
      expect(heading.textContent).toBe(title);
      expect(document.activeElement).toBe(heading);
      expect(screen.getByTestId(`nav-${id}`).getAttribute("aria-current")).toBe("page");
      expect(window.location.hash).toBe(`#/${id}`);
    }
  });

  it("moves between sidebar entries with the arrow keys", async () => {
    mockAppInfo();
    const user = userEvent.setup();
    render(<App />);
    screen.getByTestId("nav-queues").focus();
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(screen.getByTestId("nav-review"));
    await user.keyboard("{ArrowUp}{ArrowUp}");
    expect(document.activeElement).toBe(screen.getByTestId("nav-settings"));
  });

  it("switches views with Alt+digit", async () => {
    mockAppInfo();
    const user = userEvent.setup();
    render(<App />);
    await user.keyboard("{Alt>}3{/Alt}");
    expect(screen.getByTestId("view-outbox")).toBeTruthy();
  });

  it("says no server is configured in the status bar", () => {
    mockAppInfo();
    render(<App />);
    expect(screen.getByTestId("status-server").textContent).toBe("Server: none configured");
    expect(screen.getByTestId("status-online").textContent).toBe("Offline (no server)");
    expect(screen.getByTestId("status-last-sync").textContent).toBe("Last sync: never");
  });
});

describe("A login handed over at launch", () => {
  const login = (keptIn: unknown, kind = "vetter") => ({
    outcome: { server: "http://127.0.0.1:9", kind, api_key: "user:1:1", profile: {}, kid: "k", key_created: true, key_registered: kind === "vetter" },
    kept_in: keptIn,
  });

  function mockLaunch(keptIn: unknown, kind = "vetter") {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === "launch_login") return login(keptIn, kind);
      if (cmd === "server_status")
        return { server: "http://127.0.0.1:9", api_key: "user:1:1", kid: "k", last_sync: null };
      if (cmd === "sync_now")
        return { online: true, pushed: { accepted: 0, rejected: 0, conflicts: 0, waiting: 0 }, synced: null, finished_at: null };
      if (cmd === "local_queues" || cmd === "queue_entries") return [];
      throw new Error(`unexpected command ${cmd}`);
    });
    return calls;
  }

  it("logs in, then syncs without a click, and says nothing about the keyring when it holds the secret", async () => {
    resetServerState();
    const calls = mockLaunch({ kind: "keyring" });
    render(<App />);
    await waitFor(() => expect(calls).toContain("sync_now"));
    expect(calls.indexOf("launch_login")).toBeLessThan(calls.indexOf("sync_now"));
    expect(screen.queryByTestId("session-only")).toBeNull();
    expect(screen.queryByTestId("status-session-only")).toBeNull();
  });

  it("does not sync queues after a login to a plain AMO, which has none", async () => {
    resetServerState();
    const calls = mockLaunch({ kind: "keyring" }, "amo");
    render(<App />);
    await waitFor(() => expect(calls).toContain("launch_login"));
    await waitFor(() => expect(calls.lastIndexOf("server_status")).toBeGreaterThan(calls.indexOf("launch_login")));
    // The sync would follow the status refresh at once; give it that moment.
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).not.toContain("sync_now");
  });

  it("says the login lasts this session only when no keyring could be used", async () => {
    resetServerState();
    mockLaunch({ kind: "session", why: "the OS keyring is not available (no D-Bus)" });
    render(<App />);
    const notice = await screen.findByTestId("session-only");
    expect(notice.textContent).toContain("never written to disk");
    expect(notice.textContent).toContain("no D-Bus");
    expect(screen.getByTestId("status-session-only").textContent).toContain("this session only");
  });

  it("shows why a login at launch failed", async () => {
    resetServerState();
    mockIPC((cmd) => {
      if (cmd === "launch_login") throw { code: "credentials", message: "http://127.0.0.1:9 refused the request (401)" };
      if (cmd === "server_status") return { server: "http://127.0.0.1:9", api_key: null, kid: null, last_sync: null };
      if (cmd === "local_queues" || cmd === "queue_entries") return [];
      throw new Error(`unexpected command ${cmd}`);
    });
    render(<App />);
    const err = await screen.findByTestId("sync-error");
    expect(err.textContent).toContain("Logging in at launch failed");
    expect(err.textContent).toContain("401");
  });
});

describe("Settings view", () => {
  it("shows what app_info returns", async () => {
    const calls = mockAppInfo();
    window.location.hash = "#/settings";
    render(<App />);
    expect((await screen.findByTestId("app-info-version")).textContent).toBe("9.8.7");
    expect(screen.getByTestId("app-info-data-dir").textContent).toBe("/tmp/vetter-test");
    expect(screen.getByTestId("app-info-schema").textContent).toBe("3");
    expect(calls).toContain("app_info");
  });

  it("shows the command's error message when the cache cannot be read", async () => {
    mockIPC(() => {
      throw { code: "store", message: "cache database error: disk I/O error" };
    });
    window.location.hash = "#/settings";
    render(<App />);
    const err = await screen.findByTestId("app-info-error");
    expect(err.textContent).toContain("disk I/O error");
  });
});
