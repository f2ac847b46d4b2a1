import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { afterEach, describe, expect, it } from "vitest";
import { resetServerState } from "../hooks/useServer";
import { AccountForm, loginSummary } from "./AccountForm";

describe("AccountForm", () => {
  afterEach(resetServerState);

  it("sends the secret once, empties its field and shows the key fingerprint", async () => {
    let status = { server: null as string | null, api_key: null as string | null, kid: null as string | null, last_sync: null };
    const logins: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "server_status") return status;
      if (cmd === "login") {
        logins.push(args);
        status = { server: "http://127.0.0.1:8787", api_key: "user:1:1", kid: "KID-123", last_sync: null };
        return { server: "http://127.0.0.1:8787", kind: "vetter", api_key: "user:1:1", profile: {}, kid: "KID-123", key_created: true, key_registered: true };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(<AccountForm />);
    fireEvent.change(screen.getByTestId("login-server"), { target: { value: "http://127.0.0.1:8787/" } });
    fireEvent.change(screen.getByTestId("login-key"), { target: { value: "user:1:1" } });
    const secret = screen.getByTestId("login-secret") as HTMLInputElement;
    fireEvent.change(secret, { target: { value: "top-secret" } });
    fireEvent.click(screen.getByTestId("login-button"));
    expect(secret.value).toBe("");
    await waitFor(() => expect(screen.getByTestId("account-kid").textContent).toBe("KID-123"));
    expect(logins).toEqual([{ server: "http://127.0.0.1:8787/", apiKey: "user:1:1", apiSecret: "top-secret" }]);
    expect(screen.getByTestId("login-message").textContent).toContain("created and registered");
  });

  it("refuses an empty secret without calling the server", async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return { server: null, api_key: null, kid: null, last_sync: null };
    });
    render(<AccountForm />);
    fireEvent.change(screen.getByTestId("login-server"), { target: { value: "http://x" } });
    fireEvent.change(screen.getByTestId("login-key"), { target: { value: "k" } });
    fireEvent.click(screen.getByTestId("login-button"));
    expect(screen.getByTestId("login-message").textContent).toContain("API secret");
    expect(calls).not.toContain("login");
  });

  it("says a plain AMO keeps the signing key and decisions on this computer", () => {
    const text = loginSummary({
      server: "https://addons.mozilla.org",
      kind: "amo",
      api_key: "user:11:1",
      profile: {},
      kid: "KID-9",
      key_created: false,
      key_registered: false,
    });
    expect(text).toContain("kept on this computer");
    expect(text).toContain("plain AMO");
    expect(text).not.toContain("registered");
  });
});
