import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportSummary } from "../bindings/ImportSummary";

let pending: { progress: (p: ImportProgress) => void; resolve: (s: ImportSummary) => void } | null = null;

vi.mock("../ipc", () => ({
  commands: {
    importXpi: (_path: string, onProgress: (p: ImportProgress) => void) =>
      new Promise<ImportSummary>((resolve) => {
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
    fireEvent.change(screen.getByTestId("import-path"), { target: { value: "/tmp/a.xpi" } });
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
});
