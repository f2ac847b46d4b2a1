import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import type { AddonVersions } from "../bindings/AddonVersions";
import type { FetchReport } from "../bindings/FetchReport";
import type { FileLayout } from "../bindings/FileLayout";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import type { VersionInfo } from "../bindings/VersionInfo";
import { fetchReport, importedVersion, skippedVersion } from "../test/fetch";
import { cachedVersion } from "../test/versions";
import { ReviewView } from "./ReviewView";
import { reviewSummary } from "../test/review";

const PAGE = "https://addons.mozilla.org/en-US/firefox/addon/tab-notes/";

function fetchedVersion(id: number, v: string): VersionInfo {
  return { ...cachedVersion(id, v, "Tab Notes"), origin: PAGE };
}

function summary(old: VersionInfo, next: VersionInfo): ReviewSummary {
  return reviewSummary(old, next, {
    totals: { added: 0, deleted: 0, modified: 0, renamed: 0, unchanged: 3, lines_added: 0, lines_removed: 0 },
  });
}

/** A cache that is empty until the fetch, then holds `after`; records every open_review. */
function mockFetch(report: FetchReport, after: AddonVersions[]) {
  const opened: Array<{ old: number; new: number }> = [];
  let fetched = false;
  let last: ReviewSummary | null = null;
  mockIPC((cmd, args) => {
    switch (cmd) {
      case "cached_addons":
        return fetched ? after : [];
      case "fetch_from_amo":
        fetched = true;
        return report;
      case "open_review": {
        const a = args as { old: number; new: number };
        opened.push({ old: a.old, new: a.new });
        const versions = after.flatMap((x) => x.versions);
        const find = (id: number) => versions.find((v) => v.id === id) ?? fetchedVersion(id, "?");
        last = summary(find(a.old), find(a.new));
        return last;
      }
      case "review_summary":
        return last;
      case "view_file":
        return {} as FileLayout;
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  return opened;
}

async function fetchByKey() {
  const user = userEvent.setup();
  render(<ReviewView />);
  await screen.findByText(/No add-on open/);
  // `o` opens the field and focuses it, before any review is open.
  fireEvent.keyDown(window, { key: "o" });
  const field = screen.getByTestId("amo-ref");
  await waitFor(() => expect(document.activeElement).toBe(field));
  await user.type(field, PAGE);
  await user.click(screen.getByTestId("amo-fetch"));
  return user;
}

describe("Review view: open from AMO", () => {
  it("opens the newest two fetched versions, older to newer, and names their origin", async () => {
    const v100 = fetchedVersion(1, "1.0.0");
    const v101 = fetchedVersion(2, "1.0.1");
    const v102 = fetchedVersion(3, "1.0.2");
    const report = fetchReport([
      importedVersion(1003, "1.0.2", 3),
      importedVersion(1002, "1.0.1", 2),
      importedVersion(1001, "1.0.0", 1),
      skippedVersion(1006, "0.9.5", "file 5006: not a sha256 hash"),
    ]);
    const opened = mockFetch(report, [{ guid: "tab-notes@example.com", name: "Tab Notes", versions: [v100, v101, v102] }]);
    await fetchByKey();
    expect((await screen.findByTestId("amo-next")).textContent).toBe(
      "Opened the newest two in the review: 1.0.1 → 1.0.2.",
    );
    expect(opened).toEqual([{ old: 2, new: 3 }]);
    expect((await screen.findByTestId("review-title")).textContent).toContain("1.0.1 → 1.0.2");
    const options = within(screen.getByTestId("pick-new"))
      .getAllByRole("option")
      .map((o) => o.textContent);
    expect(options).toEqual([
      "1.0.0 · from addons.mozilla.org",
      "1.0.1 · from addons.mozilla.org",
      "1.0.2 · from addons.mozilla.org",
    ]);
    expect(screen.getByTestId("review-source-notes").textContent).toBe(`1.0.1 and 1.0.2 fetched from ${PAGE}`);
    // The forms fold away for the review; the outcome stays named in the fold.
    expect((screen.getByTestId("amo-toggle").parentElement as HTMLDetailsElement).open).toBe(false);
    expect(screen.getByTestId("amo-last").textContent).toContain("3 of 4 versions cached, 1 skipped");
  });

  it("with one fetched version and nothing else cached, says why no review opens", async () => {
    const report = fetchReport([importedVersion(1003, "1.0.2", 3), skippedVersion(1006, "0.9.5", "bad hash")]);
    const opened = mockFetch(report, [
      { guid: "tab-notes@example.com", name: "Tab Notes", versions: [fetchedVersion(3, "1.0.2")] },
    ]);
    await fetchByKey();
    expect((await screen.findByTestId("amo-next")).textContent).toContain(
      "Only 1.0.2 was fetched, and the review compares two versions",
    );
    expect(opened).toEqual([]);
    expect(screen.queryByTestId("review")).toBeNull();
  });

  it("with one fetched version, compares it with an older cached one as the newer side", async () => {
    const report = fetchReport([importedVersion(1003, "1.0.2", 3)]);
    const local = cachedVersion(1, "1.0.0", "Tab Notes");
    const opened = mockFetch(report, [
      { guid: "tab-notes@example.com", name: "Tab Notes", versions: [local, fetchedVersion(3, "1.0.2")] },
    ]);
    await fetchByKey();
    expect((await screen.findByTestId("amo-next")).textContent).toBe(
      "Only 1.0.2 was fetched: opened as the newer side, compared with the cached 1.0.0.",
    );
    expect(opened).toEqual([{ old: 1, new: 3 }]);
  });
});
