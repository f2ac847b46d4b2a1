import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it, vi } from "vitest";
import type { Capabilities } from "../bindings/Capabilities";
import type { CapabilityDelta } from "../bindings/CapabilityDelta";
import { CapabilityPanel, capabilitySummary } from "./CapabilityPanel";

const EMPTY: Capabilities = {
  analysis_version: 1,
  endpoints: [],
  sinks: [],
  apis: [],
  permissions: [],
  hosts: [],
  obfuscation: [],
  libraries: [],
  risk: { weight: 0, factors: [] },
  code_bytes: 0,
  token_read: [],
  skipped: [],
  facts_in_libraries: 0,
  library_sinks: [],
  library_endpoints: [],
  truncated: false,
};

const at = (path: string, line: number) => ({ path, line, column: 1 });

const DELTA: CapabilityDelta = {
  endpoints: {
    added: [
      { host: "collect.\u202eexample", url: "https://collect.\u202eexample/b", ip: false, via: "beacon", at: at("lib/jquery.js", 10001) },
    ],
    removed: [{ host: "old.example.org", url: null, ip: false, via: "fetch", at: at("bg.js", 3) }],
  },
  sinks: { added: [{ kind: "eval", code: "eval(atob(p))", at: at("bg.js", 40) }], removed: [] },
  apis: { added: [], removed: [] },
  permissions: [{ permission: "cookies", old: "unused", new: "used", used_at: [at("bg.js", 12)] }],
  uncovered_hosts: [{ host: "collect.example", covered_by: null, first: at("lib/jquery.js", 10001) }],
  obfuscation: [],
  libraries: {
    added: [
      {
        path: "lib/jquery.js",
        package: "jquery",
        version: "3.5.1",
        upstream_path: "dist/jquery.js",
        state: "modified",
        upstream_diff: ["--- jquery@3.5.1/dist/jquery.js", "+++ lib/jquery.js", "@@ -9999,3 +9999,4 @@", "+navigator.sendBeacon(x)"],
        added: 1,
        removed: 0,
      },
      {
        path: "lib/underscore.js",
        package: "underscore",
        version: "1.9.1",
        upstream_path: "underscore.js",
        state: "unmodified",
        upstream_diff: [],
        added: 0,
        removed: 0,
      },
    ],
    removed: [],
  },
  old_risk: { weight: 0, factors: [] },
  new_risk: {
    weight: 50,
    factors: [{ name: "uses_eval_or_document_write", weight: 50, reason: "1 use (eval, Function or document.write): 50" }],
  },
  risk_factors: [{ name: "uses_eval_or_document_write", old: 0, new: 50, reason: "1 use (eval, Function or document.write): 50" }],
  new: EMPTY,
};

describe("CapabilityPanel", () => {
  it("puts the new facts first, each a jump to its line of the newer version", async () => {
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "capability_delta") throw new Error(`unexpected ${cmd}`);
      asked.push(args);
      return DELTA;
    });
    const onJump = vi.fn();
    render(<CapabilityPanel pair={[3, 4]} onJump={onJump} />);
    const summary = await screen.findByTestId("cap-summary");
    expect(summary.textContent).toBe(
      "risk weight 0 → 50: 1 new endpoint · 1 new sink · 1 permission newly used · 1 host without permission · 1 modified library",
    );
    expect(asked).toEqual([{ old: 3, new: 4 }]);

    // Folded to its summary line until opened; a jump folds it again, so the diff has room.
    const details = screen.getByTestId("capability-panel").querySelector("details");
    if (!details) throw new Error("the panel folds in a details element");
    expect(details.open).toBe(false);
    await userEvent.click(screen.getByTestId("cap-toggle"));
    expect(details.open).toBe(true);

    const added = screen.getByTestId("cap-endpoint-added");
    // A hidden character in a host the add-on chose is drawn as a marker.
    expect(within(added).getAllByTestId("hidden-char")[0]?.textContent).toBe("<U+202E>");
    await userEvent.click(within(added).getByTestId("cap-jump"));
    expect(onJump).toHaveBeenCalledWith("lib/jquery.js", 10001);
    expect(details.open).toBe(false);
    // A gone endpoint was in the older version: shown, not a jump into the newer one.
    expect(within(screen.getByTestId("cap-endpoint-removed")).queryByTestId("cap-jump")).toBeNull();

    await userEvent.click(within(screen.getByTestId("cap-sink-added")).getByTestId("cap-jump"));
    expect(onJump).toHaveBeenLastCalledWith("bg.js", 40);
    expect(screen.getByTestId("cap-risk").textContent).toContain("uses_eval_or_document_write0501 use");
    expect(screen.getByTestId("cap-library-diff").textContent).toContain("+navigator.sendBeacon(x)");
    expect(screen.getByTestId("cap-library").textContent).toBe("+ underscore 1.9.1, unmodified: lib/underscore.js");
  });

  it("says when nothing changed, and shows an error in words", async () => {
    const none: CapabilityDelta = {
      ...DELTA,
      endpoints: { added: [], removed: [] },
      sinks: { added: [], removed: [] },
      permissions: [],
      uncovered_hosts: [],
      libraries: { added: [], removed: [] },
    };
    expect(capabilitySummary(none)).toBe("nothing new in what it can do");
    mockIPC(() => {
      throw { code: "review", message: "version 4 is not cached" };
    });
    render(<CapabilityPanel pair={[3, 4]} onJump={() => {}} />);
    expect((await screen.findByTestId("cap-error")).textContent).toBe("version 4 is not cached");
  });
});
