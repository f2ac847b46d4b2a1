import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import { App } from "./App";
import type { AppInfo } from "./bindings/AppInfo";

const INFO: AppInfo = { version: "9.8.7", data_dir: "/tmp/vetter-test", schema_version: 3 };

function mockAppInfo() {
  const calls: string[] = [];
  mockIPC((cmd) => {
    calls.push(cmd);
    if (cmd === "app_info") return INFO;
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
