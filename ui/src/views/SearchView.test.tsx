import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import type { AddonVersions } from "../bindings/AddonVersions";
import type { SearchResults } from "../bindings/SearchResults";
import type { VersionInfo } from "../bindings/VersionInfo";
import { cachedVersion } from "../test/versions";
import { useNavigation } from "../lib/navigation";
import { SearchView, splitMatch } from "./SearchView";

const PAYLOAD = '<img src=x onerror="window.__pwned=1">';

function version(id: number, v: string): VersionInfo {
  return cachedVersion(id, v);
}

const ADDONS: AddonVersions[] = [{ guid: "x@example.com", name: "Addon", versions: [version(1, "1.0"), version(2, "1.1")] }];

function hit(versionId: number, line: number, text: string, column: number, length: number) {
  return {
    version_id: versionId,
    path: "lib/a.js",
    line,
    column,
    length,
    excerpt: { line, start: 0, text, cut: false },
    before: [{ line: line - 1, start: 0, text: "// before", cut: false }],
    after: [],
  };
}

const RESULTS: SearchResults = {
  hits: [hit(1, 5, `eval(x) ${PAYLOAD}`, 0, 4), hit(2, 7, "  eval(y)", 2, 4)],
  index_literals: ["eval"],
  blobs_scanned: 2,
  bytes_scanned: 100,
  stopped: null,
};

/** The review requests the view makes, as the review would receive them. */
function JumpProbe() {
  const { request } = useNavigation();
  return (
    <output data-testid="jump">
      {request?.at ? `${request.old}->${request.next} ${request.at.path}:${request.at.line}` : ""}
    </output>
  );
}

function mock(search: (args: Record<string, unknown>) => unknown) {
  const calls: Array<Record<string, unknown>> = [];
  mockIPC((cmd, args) => {
    if (cmd === "cached_addons") return ADDONS;
    if (cmd === "search_cache") {
      calls.push(args as Record<string, unknown>);
      return search(args as Record<string, unknown>);
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  return calls;
}


describe("SearchView", () => {
  it("draws hidden characters of a hit's line and path as markers, the match still on its bytes", async () => {
    // Each hidden character is 3 UTF-8 bytes: the match "isAdmin" starts at byte 11 of the line.
    const line = "/*\u202E } \u2066isAdmin\u2069";
    const results: SearchResults = {
      hits: [{ ...hit(2, 3, line, 11, 7), path: "lib/a\u200B.js" }],
      index_literals: ["isAdmin"],
      blobs_scanned: 1,
      bytes_scanned: 10,
      stopped: null,
    };
    mock(() => results);
    const user = userEvent.setup();
    const { container } = render(<SearchView />);
    await user.type(screen.getByTestId("search-pattern"), "isAdmin");
    await user.click(screen.getByTestId("search-run"));
    const found = await screen.findByTestId("search-hit");
    expect(found.querySelector("mark")?.textContent).toBe("isAdmin");
    expect(found.querySelector(".search-text")?.textContent).toBe("/*<U+202E> } <U+2066>isAdmin<U+2069>");
    expect(found.getAttribute("aria-label")).toBe("lib/a<U+200B>.js:3");
    expect(container.querySelectorAll(".hidden-char").length).toBeGreaterThanOrEqual(4);
    expect(container.textContent).not.toMatch(/[\u200B\u202E\u2066\u2069]/);
  });

  it("sends the pattern with its options and groups hits by version and file, match as text", async () => {
    const calls = mock(() => RESULTS);
    const user = userEvent.setup();
    render(<SearchView />);
    await user.type(screen.getByTestId("search-pattern"), "eval(");
    await user.click(screen.getByTestId("search-ignore-case"));
    await user.type(screen.getByTestId("search-glob"), "*.js");
    await user.click(screen.getByTestId("search-run"));
    expect(await screen.findByTestId("search-summary")).toHaveProperty(
      "textContent",
      expect.stringMatching(/^2 matches in 2 files · \d+ ms$/),
    );
    expect(calls[0]).toMatchObject({
      pattern: "eval(",
      fixedStrings: true,
      ignoreCase: true,
      versionId: null,
      globs: ["*.js"],
    });
    const hits = screen.getAllByTestId("search-hit");
    expect(hits.map((h) => h.querySelector("mark")?.textContent)).toEqual(["eval", "eval"]);
    // Add-on text stays text: the payload is readable and no element came of it.
    expect(hits[0]?.textContent).toContain(PAYLOAD);
    expect(document.querySelector("img")).toBeNull();
    expect(screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent)).toEqual([
      "Addon 1.0 lib/a.js",
      "Addon 1.1 lib/a.js",
    ]);
  });

  it("shows the core's message for a bad regex at the field", async () => {
    mock(() => {
      throw { code: "search", message: 'invalid search pattern "(": unclosed group' };
    });
    const user = userEvent.setup();
    render(<SearchView />);
    await user.click(screen.getByTestId("search-regex"));
    await user.type(screen.getByTestId("search-pattern"), "(");
    await user.click(screen.getByTestId("search-run"));
    const error = await screen.findByTestId("search-error");
    expect(error.textContent).toContain("unclosed group");
    expect(screen.getByTestId("search-pattern").getAttribute("aria-invalid")).toBe("true");
  });

  it("shows searching while the command runs", async () => {
    let finish: (r: SearchResults) => void = () => undefined;
    mock(() => new Promise<SearchResults>((resolve) => (finish = resolve)));
    const user = userEvent.setup();
    render(<SearchView />);
    await user.type(screen.getByTestId("search-pattern"), "x");
    await user.click(screen.getByTestId("search-run"));
    expect(screen.getByTestId("search-running")).toBeTruthy();
    finish({ ...RESULTS, hits: [] });
    expect(await screen.findByTestId("search-none")).toBeTruthy();
    expect(screen.queryByTestId("search-running")).toBeNull();
  });

  it("opens a hit of a later version as the pair before it, and refuses the first version", async () => {
    mock(() => RESULTS);
    const user = userEvent.setup();
    render(
      <>
        <SearchView />
        <JumpProbe />
      </>,
    );
    await user.type(screen.getByTestId("search-pattern"), "eval");
    await user.click(screen.getByTestId("search-run"));
    const hits = await screen.findAllByTestId("search-hit");
    await user.click(hits[0] as HTMLElement);
    expect(screen.getByTestId("search-open-error").textContent).toContain("only cached version");
    expect(screen.getByTestId("jump").textContent).toBe("");
    // Keyboard: arrow down to the second hit, Enter opens it.
    (hits[0] as HTMLElement).focus();
    await user.keyboard("{ArrowDown}");
    expect(document.activeElement).toBe(hits[1]);
    await user.keyboard("{Enter}");
    await waitFor(() => expect(screen.getByTestId("jump").textContent).toBe("1->2 lib/a.js:7"));
    expect(window.location.hash).toBe("#/review");
    expect(within(hits[1] as HTMLElement).getByText("eval")).toBeTruthy();
  });
});

describe("splitMatch", () => {
  it("splits on byte offsets, not UTF-16 units", () => {
    // "é" is two bytes: the match at byte 3 starts after "é ".
    expect(splitMatch({ line: 1, start: 0, text: "é eval()", cut: false }, 3, 4)).toEqual(["é ", "eval", "()"]);
  });

  it("accounts for an excerpt that starts inside a long line", () => {
    expect(splitMatch({ line: 1, start: 100, text: "xx eval", cut: true }, 103, 4)).toEqual(["xx ", "eval", ""]);
  });
});
