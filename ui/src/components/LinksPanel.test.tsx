import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import type { LinkReport } from "../bindings/LinkReport";
import { LinksPanel } from "./LinksPanel";

const REPORT: LinkReport = {
  guid: "a@example.com",
  addons_in_cache: 12,
  library_threshold: 3,
  links: [
    {
      guid: "b@example.com",
      name: "Payload twin <b>bold</b>",
      linked: true,
      score: 2.5,
      shared_files: [
        { sha256: "1".repeat(64), size: 900, path: "lib/p.js", other_path: "js/x.js", addons_with_it: 2, library: false },
      ],
      near_duplicates: [{ path: "bg.js", other_path: "main.js", similarity: 0.87 }],
    },
    {
      guid: "c@example.com",
      name: "Uses jQuery",
      linked: false,
      score: 0.1,
      shared_files: [
        { sha256: "2".repeat(64), size: 90000, path: "jquery.js", other_path: "jquery.js", addons_with_it: 9, library: true },
      ],
      near_duplicates: [],
    },
  ],
};

describe("LinksPanel", () => {
  it("lists linked add-ons in the core's order with their evidence, libraries marked", async () => {
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "addon_links") throw new Error(`unexpected ${cmd}`);
      asked.push(args);
      return REPORT;
    });
    const user = userEvent.setup();
    render(<LinksPanel guid="a@example.com" />);
    await user.click(screen.getByTestId("links-run"));
    const links = await screen.findAllByTestId("link");
    expect(asked).toEqual([{ addon: "a@example.com" }]);
    expect(links.map((l) => l.className)).toEqual(["linked", "library-only"]);
    expect(links[0]?.textContent).toContain("Payload twin <b>bold</b>");
    expect(document.querySelector("b")).toBeNull();
    expect(links[0]?.textContent).toContain("same bytes: lib/p.js = js/x.js (900 bytes)");
    expect(links[0]?.textContent).toContain("near-identical code (87%): bg.js ~ main.js");
    expect(links[1]?.textContent).toContain("shared libraries only");
    expect(links[1]?.textContent).toContain("library, in 9 add-ons");
  });

  it("says so when nothing is linked, and shows the core's error", async () => {
    let fail = false;
    mockIPC(() => {
      if (fail) throw { code: "links", message: 'no cached add-on "a@example.com"' };
      return { ...REPORT, links: [] };
    });
    const user = userEvent.setup();
    render(<LinksPanel guid="a@example.com" />);
    await user.click(screen.getByTestId("links-run"));
    expect((await screen.findByTestId("links-none")).textContent).toContain("11 others");
    fail = true;
    await user.click(screen.getByTestId("links-run"));
    expect((await screen.findByTestId("links-error")).textContent).toContain("no cached add-on");
  });
});
