import { act, fireEvent, render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { FetchProgress } from "../bindings/FetchProgress";
import type { FetchReport } from "../bindings/FetchReport";
import { SERVER_PAYLOAD, fetchReport, importedVersion, skippedVersion } from "../test/fetch";

type Pending = {
  reference: string;
  progress: (p: FetchProgress) => void;
  resolve: (r: FetchReport) => void;
  reject: (e: unknown) => void;
};
let pending: Pending | null = null;

vi.mock("../ipc", () => ({
  commands: {
    fetchFromAmo: (reference: string, onProgress: (p: FetchProgress) => void) =>
      new Promise<FetchReport>((resolve, reject) => {
        pending = { reference, progress: onProgress, resolve, reject };
      }),
  },
  toUiError: (e: unknown) =>
    typeof e === "object" && e !== null && "message" in e
      ? { code: "x", message: String((e as { message: unknown }).message) }
      : { code: "x", message: String(e) },
}));

import { AmoFetchPanel, importedIds } from "./AmoFetchPanel";

const PAGE = "https://addons.mozilla.org/en-US/firefox/addon/tab-notes/";

function started(): Pending {
  fireEvent.change(screen.getByTestId("amo-ref"), { target: { value: `  ${PAGE} ` } });
  fireEvent.click(screen.getByTestId("amo-fetch"));
  const run = pending;
  if (!run) throw new Error("fetchFromAmo was not called");
  return run;
}

const REPORT = fetchReport([
  importedVersion(1003, "1.0.2", 3),
  importedVersion(1002, "1.0.1", 2, true),
  skippedVersion(1006, "0.9.5", `file 5006: hash is md5:… ${SERVER_PAYLOAD}`),
]);

describe("AmoFetchPanel", () => {
  beforeEach(() => {
    pending = null;
    document.title = "Vetter";
  });

  it("shows progress, then each version's outcome, the name and page as text", async () => {
    const onFetched = vi.fn(() => Promise.resolve("Opened the newest two in the review: 1.0.1 → 1.0.2."));
    render(<AmoFetchPanel onFetched={onFetched} />);
    const run = started();
    expect(run.reference).toBe(PAGE);
    expect((screen.getByTestId("amo-fetch") as HTMLButtonElement).disabled).toBe(true);
    act(() => run.progress({ phase: "downloading", done: 1, total: 3, bytes: 10240, message: "Tab Notes 1.0.1" }));
    const line = screen.getByTestId("amo-progress").textContent ?? "";
    expect(line).toContain("Downloading");
    expect(line).toContain("1/3");
    expect(line).toContain("Tab Notes 1.0.1");
    expect(line).toContain("10 KiB");

    await act(async () => run.resolve(REPORT));
    expect(screen.queryByTestId("amo-progress")).toBeNull();
    expect(onFetched).toHaveBeenCalledWith(REPORT);
    const items = screen.getAllByTestId("amo-version").map((li) => li.textContent);
    expect(items).toEqual([
      "1.0.2 (listed) imported as version 3",
      "1.0.1 (listed) already cached as version 2",
      `0.9.5 (listed) skipped: file 5006: hash is md5:… ${SERVER_PAYLOAD}`,
    ]);
    expect(screen.getByTestId("amo-addon-name").textContent).toBe(`Tab Notes ${SERVER_PAYLOAD}`);
    // The page is shown, never linked: nothing the server sent becomes a link or markup.
    expect(screen.getByTestId("amo-page-url").textContent).toBe(PAGE);
    const result = screen.getByTestId("amo-result");
    expect(result.querySelectorAll("a, img, script").length).toBe(0);
    expect(document.title).toBe("Vetter");
    expect(screen.getByTestId("amo-summary").textContent).toContain("2 of 3 versions in the cache, 1 skipped");
    expect(screen.getByTestId("amo-summary").textContent).toContain("anonymous: public versions only");
    expect(screen.getByTestId("amo-next").textContent).toBe("Opened the newest two in the review: 1.0.1 → 1.0.2.");
  });

  it("stays finished when a progress message arrives after the reply", async () => {
    render(<AmoFetchPanel onFetched={() => undefined} />);
    const run = started();
    await act(async () => run.resolve(REPORT));
    act(() => run.progress({ phase: "done", done: 3, total: 3, bytes: 0, message: "" }));
    expect(screen.queryByTestId("amo-progress")).toBeNull();
    expect(screen.getByTestId("amo-result")).toBeTruthy();
  });

  it("shows the core's message when the fetch fails, and asks for a reference when empty", async () => {
    const onFetched = vi.fn();
    render(<AmoFetchPanel onFetched={onFetched} />);
    fireEvent.click(screen.getByTestId("amo-fetch"));
    expect(pending).toBeNull();
    expect(screen.getByTestId("amo-error").textContent).toContain("Paste an AMO add-on page URL");

    const run = started();
    const message =
      "https://other.example.org/addon/x/ is on https://other.example.org, but the AMO instance is https://addons.mozilla.org; pass --amo https://other.example.org to fetch from there";
    await act(async () => run.reject({ code: "fetch:amo", message }));
    expect(screen.getByTestId("amo-error").textContent).toBe(message);
    expect(onFetched).not.toHaveBeenCalled();
    expect((screen.getByTestId("amo-fetch") as HTMLButtonElement).disabled).toBe(false);
  });

  it("lists imported ids newest first, without the skipped ones", () => {
    expect(importedIds(REPORT)).toEqual([3, 2]);
  });
});
