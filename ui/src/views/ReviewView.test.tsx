import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import type { AddonVersions } from "../bindings/AddonVersions";
import type { FileLayout } from "../bindings/FileLayout";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import type { VersionInfo } from "../bindings/VersionInfo";
import { cachedVersion } from "../test/versions";
import type { ViewRow } from "../bindings/ViewRow";
import { navigate } from "../lib/navigation";
import { ReviewView } from "./ReviewView";
import { noPermissionChanges, reviewSummary, textFile } from "../test/review";

const PAYLOAD = '<img src=x onerror="document.title=\'pwned\'">';

function version(id: number, v: string): VersionInfo {
  return cachedVersion(id, v, `Addon ${PAYLOAD}`);
}

const ADDONS: AddonVersions[] = [{ guid: "x@example.com", name: "Addon", versions: [version(1, "1.0"), version(2, "1.1")] }];

const SUMMARY: ReviewSummary = reviewSummary(version(1, "1.0"), version(2, "1.1"), {
  permissions: {
    ...noPermissionChanges(),
    permissions: { added: ["notifications"], removed: [] },
    host_permissions: { added: ["<all_urls>"], removed: [] },
  },
  files: [textFile("background.js", "modified"), textFile(`lib/${PAYLOAD}.js`, "added")],
  totals: { added: 1, deleted: 0, modified: 1, renamed: 0, unchanged: 5, lines_added: 2, lines_removed: 1 },
});

function layout(index: number): FileLayout {
  return {
    index,
    rows: 3,
    max_cols: 40,
    changes: [1],
    syntax: "JavaScript",
    deadline_hit: false,
    options: { layout: "unified", wrap: null, pretty: false },
    pretty: false,
    signals: [],
  };
}

const ROWS: ViewRow[] = [
  { type: "gap", row: 0, gap: 0, hidden: 10 },
  {
    type: "line",
    row: 1,
    segment: 0,
    old: { line: 11, kind: "removed", more: false, spans: [{ text: "let a = 1;", class: "plain", changed: false, hidden: false }] },
    new: null,
  },
  {
    type: "line",
    row: 2,
    segment: 0,
    old: null,
    new: { line: 11, kind: "added", more: false, spans: [{ text: PAYLOAD, class: "string", changed: true, hidden: false }] },
  },
];

function mockReview() {
  const calls: Array<{ cmd: string; args: unknown }> = [];
  let viewed = 0;
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case "cached_addons":
        return ADDONS;
      case "open_review":
        return SUMMARY;
      case "view_file":
        return layout((args as { index: number }).index);
      case "file_rows":
        return ROWS;
      case "set_viewed":
        viewed += (args as { viewed: boolean }).viewed ? 1 : -1;
        return viewed;
      case "find_in_file":
        return [2];
      case "review_summary":
        return SUMMARY;
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  return calls;
}

async function openReview() {
  const user = userEvent.setup();
  render(<ReviewView />);
  await user.click(await screen.findByTestId("open-review"));
  await screen.findByTestId("review");
  return user;
}

describe("Review view", () => {
  it("tells builds of one version apart and says a CRX signature was not verified", async () => {
    const builds = [
      { ...version(1, "1.0"), short_hash: "3fa2b1c9", same_version_builds: 1, label: "1.0 (build 3fa2b1c9)" },
      {
        ...version(2, "1.0"),
        short_hash: "9e8d7c6b",
        same_version_builds: 1,
        label: "1.0 (build 9e8d7c6b)",
        format: "crx3" as const,
        source_name: "addon.crx",
        signature_note: "CRX3 header with 1 RSA and 0 ECDSA key proof; signature not verified",
      },
    ];
    mockIPC((cmd) => {
      switch (cmd) {
        case "cached_addons":
          return [{ guid: "x@example.com", name: "Addon", versions: builds }];
        case "open_review":
        case "review_summary":
          return { ...SUMMARY, old: builds[0], new: builds[1] };
        case "view_file":
          return layout(0);
        case "file_rows":
          return ROWS;
        default:
          return null;
      }
    });
    const user = userEvent.setup();
    render(<ReviewView />);
    const from = await screen.findByTestId("pick-old");
    const options = within(from).getAllByRole("option").map((o) => o.textContent);
    expect(options).toEqual(["1.0 (build 3fa2b1c9)", "1.0 (build 9e8d7c6b) · CRX3"]);
    await user.click(screen.getByTestId("open-review"));
    expect((await screen.findByTestId("review-title")).textContent).toContain("1.0 (build 3fa2b1c9) → 1.0 (build 9e8d7c6b)");
    const notes = screen.getByTestId("review-source-notes").textContent ?? "";
    expect(notes).toContain("1 other build of 1.0 cached, with different bytes");
    expect(notes).toContain("signature not verified");
  });

  it("shows the pair a review was opened with from another view in its picker", async () => {
    const other: AddonVersions = {
      guid: "y@example.com",
      name: "Other",
      versions: [{ ...version(11, "2.0"), guid: "y@example.com" }, { ...version(12, "2.1"), guid: "y@example.com" }],
    };
    mockIPC((cmd) => {
      switch (cmd) {
        case "cached_addons":
          return [...ADDONS, other];
        case "open_review":
          return SUMMARY;
        case "view_file":
          return layout(0);
        case "file_rows":
          return ROWS;
        case "review_summary":
          return SUMMARY;
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    });
    render(<ReviewView />);
    const pick = (await screen.findByTestId("pick-addon")) as HTMLSelectElement;
    expect(pick.value).toBe("x@example.com");
    act(() => navigate({ view: "review", open: { old: 11, next: 12 } }));
    await screen.findByTestId("review");
    await waitFor(() => expect(pick.value).toBe("y@example.com"));
    expect((screen.getByTestId("pick-old") as HTMLSelectElement).value).toBe("11");
    expect((screen.getByTestId("pick-new") as HTMLSelectElement).value).toBe("12");
    expect(pick.textContent).toContain("Other (2 versions)");
  });

  it("compares the version before the latest with the latest by default", async () => {
    const calls = mockReview();
    await openReview();
    const open = calls.find((c) => c.cmd === "open_review");
    expect(open?.args).toMatchObject({ old: 1, new: 2, whitespace: "all" });
    expect(screen.getByTestId("permission-summary").textContent).toContain("notifications");
    expect(screen.getByTestId("permission-summary").textContent).toContain("<all_urls>");
  });

  it("shows add-on text as text, never as markup", async () => {
    mockReview();
    const before = document.title;
    await openReview();
    const scroller = await screen.findByTestId("diff-scroller");
    await waitFor(() => expect(scroller.textContent).toContain(PAYLOAD));
    expect(document.querySelector("img")).toBeNull();
    expect(screen.getByTestId("review-title").textContent).toContain(PAYLOAD);
    expect(screen.getByTestId("file-tree").textContent).toContain(PAYLOAD);
    expect(document.title).toBe(before);
  });

  it("moves between files with j and k", async () => {
    mockReview();
    const user = await openReview();
    // Tree order: folders first, so lib/… comes before background.js.
    expect(screen.getByTestId("diff-path").textContent).toBe(`lib/${PAYLOAD}.js`);
    await user.keyboard("j");
    expect(screen.getByTestId("diff-path").textContent).toBe("background.js");
    await user.keyboard("j");
    expect(screen.getByTestId("diff-path").textContent).toBe("background.js");
    await user.keyboard("k");
    expect(screen.getByTestId("diff-path").textContent).toBe(`lib/${PAYLOAD}.js`);
  });

  it("marks the file viewed with v and counts progress", async () => {
    const calls = mockReview();
    const user = await openReview();
    expect(screen.getByTestId("viewed-progress").textContent).toBe("0 of 2 viewed");
    await user.keyboard("v");
    await waitFor(() => expect(screen.getByTestId("viewed-progress").textContent).toBe("1 of 2 viewed"));
    expect(calls.find((c) => c.cmd === "set_viewed")?.args).toMatchObject({ index: 1, viewed: true });
    const current = within(screen.getByTestId("file-tree")).getAllByTestId("tree-file")[0];
    expect(current?.textContent).toContain("viewed");
  });

  it("jumps to the next change with n and reports it", async () => {
    mockReview();
    const user = await openReview();
    await screen.findByTestId("change-position");
    await user.keyboard("n");
    expect(screen.getByTestId("change-position").textContent).toContain("change 1 of 1");
    await waitFor(() => expect(document.querySelector(".drow.current")?.getAttribute("data-row")).toBe("1"));
  });

  it("focuses the search box with / and finds in the file", async () => {
    const calls = mockReview();
    const user = await openReview();
    await screen.findByTestId("change-position");
    await user.keyboard("/");
    expect(document.activeElement).toBe(screen.getByTestId("find-input"));
    await user.keyboard("onerror{Enter}");
    await waitFor(() => expect(screen.getByTestId("find-count").textContent).toBe("1 of 1"));
    expect(calls.find((c) => c.cmd === "find_in_file")?.args).toMatchObject({ index: 1, needle: "onerror" });
  });

  it("lists every key with ? and closes with Escape", async () => {
    mockReview();
    const user = await openReview();
    await user.keyboard("?");
    const help = screen.getByTestId("key-help");
    expect(help.textContent).toContain("Next / previous change");
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("key-help")).toBeNull();
  });
});
