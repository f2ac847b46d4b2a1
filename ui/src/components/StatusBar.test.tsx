import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { StatusBar } from "./StatusBar";

describe("StatusBar", () => {
  it("names the server and reports it online", () => {
    render(<StatusBar server="http://127.0.0.1:8700" connection="online" lastSync={null} />);
    expect(screen.getByTestId("status-server").textContent).toBe("Server: http://127.0.0.1:8700");
    expect(screen.getByTestId("status-online").textContent).toBe("Online");
  });

  it("reports offline with a last sync time", () => {
    render(<StatusBar server="http://127.0.0.1:8700" connection="offline" lastSync="2026-01-02T03:04:05Z" />);
    expect(screen.getByTestId("status-online").textContent).toBe("Offline");
    expect(screen.getByTestId("status-last-sync").textContent).not.toBe("Last sync: never");
  });
});
