import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportSummary } from "../bindings/ImportSummary";

let pending: { progress: (p: ImportProgress) => void; resolve: (s: ImportSummary | null) => void } | null = null;

vi.mock("../ipc", () => ({
  commands: {
    importXpi: (onProgress: (p: ImportProgress) => void) =>
      new Promise<ImportSummary | null>((resolve) => {
        pending = { progress: onProgress, resolve };
      }),
  },
  toUiError: (e: unknown) => ({ code: "x", message: String(e) }),
}));

import { ImportPanel } from "./ImportPanel";

describe("ImportPanel", () => {
  it("stays finished when a progress message arrives after the reply", async () => {
    const onImported = vi.fn();
    render(<ImportPanel onImported={onImported} />);
    fireEvent.click(screen.getByTestId("import-button"));
    expect(screen.getByTestId("import-progress")).toBeTruthy();
    const run = pending;
    if (!run) throw new Error("importXpi was not called");
    act(() => run.progress({ stage: "started", files: 3 } as ImportProgress));
    await act(async () => {
      run.resolve({ name: "Demo", version: "1.0", files: 3, already_present: false } as ImportSummary);
    });
    // Tauri channels may deliver after the command resolved.
    act(() => run.progress({ stage: "committing" } as ImportProgress));
    expect(screen.queryByTestId("import-progress")).toBeNull();
    expect(screen.getByTestId("import-result").textContent).toContain("3 files");
    expect(onImported).toHaveBeenCalledTimes(1);
  });

  it("takes no path from the page and does nothing when the dialog is closed", async () => {
    const onImported = vi.fn();
    render(<ImportPanel onImported={onImported} />);
    expect(screen.queryByRole("textbox")).toBeNull();
    fireEvent.click(screen.getByTestId("import-button"));
    const run = pending;
    if (!run) throw new Error("importXpi was not called");
    await act(async () => run.resolve(null));
    expect(onImported).not.toHaveBeenCalled();
    expect(screen.queryByTestId("import-result")).toBeNull();
    expect(screen.queryByTestId("import-error")).toBeNull();
  });

  it("notes another build of the same version and an unverified CRX signature", async () => {
    render(<ImportPanel onImported={vi.fn()} />);
    fireEvent.click(screen.getByTestId("import-button"));
    const run = pending;
    if (!run) throw new Error("importXpi was not called");
    await act(async () => {
      run.resolve({
        name: "Demo",
        version: "1.0",
        label: "1.0 (build 9e8d7c6b)",
        files: 3,
        already_present: false,
        short_hash: "9e8d7c6b",
        same_version_builds: 1,
        format: "crx3",
        kind: "extension",
        signature_note: "CRX3 header with 1 RSA and 0 ECDSA key proof; signature not verified",
        root_prefix: null,
      } as ImportSummary);
    });
    expect(screen.getByTestId("import-result").textContent).toBe("Imported Demo 1.0 (build 9e8d7c6b) (3 files)");
    const notes = screen.getByTestId("import-notes").textContent ?? "";
    expect(notes).toContain("Another build of 1.0 is cached with different bytes; this one is build 9e8d7c6b.");
    expect(notes).toContain("signature not verified");
  });
});
