import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import type { RuleFileInfo } from "../bindings/RuleFileInfo";
import type { RuleScan } from "../bindings/RuleScan";
import { RulesSettings } from "./RulesSettings";

function info(name: string, enabled = true): RuleFileInfo {
  return { name, sha256: "c".repeat(64), size: 120, rules: 2, enabled, added_at: "2026-01-01T00:00:00Z" };
}

const SCAN: RuleScan = {
  version_id: 2,
  ruleset: "d".repeat(64),
  cached: false,
  rule_files: 1,
  files_scanned: 6,
  skipped: [],
  truncated: false,
  signals: [
    {
      version_id: 2,
      path: "bg.js",
      offset: 40,
      length: 4,
      line: 3,
      column: 5,
      rule: "uses_eval",
      namespace: "family.yar",
      pattern: "$a",
      tags: [],
      description: "<i>eval</i> call",
    },
  ],
};

function mockRules() {
  const files: RuleFileInfo[] = [info("old.yar")];
  const calls: Array<{ cmd: string; args: unknown }> = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    const a = args as Record<string, unknown>;
    switch (cmd) {
      case "rule_files":
        return files.map((f) => ({ ...f }));
      case "add_rule_text":
        if (String(a.source).includes("broken"))
          throw { code: "rules", message: 'rule file "bad.yar" does not compile:\nerror[E001]: syntax error\n --> bad.yar:1:6' };
        files.push(info(String(a.name)));
        return info(String(a.name));
      case "add_rule_path":
        throw { code: "rules", message: "cannot read /nope.yar: No such file or directory (os error 2)" };
      case "remove_rule":
        files.splice(
          files.findIndex((f) => f.name === a.name),
          1,
        );
        return null;
      case "set_rule_enabled": {
        const f = files.find((x) => x.name === a.name);
        if (f) f.enabled = Boolean(a.enabled);
        return null;
      }
      case "scan_open_review":
        return SCAN;
      default:
        throw new Error(`unexpected ${cmd}`);
    }
  });
  return calls;
}

describe("RulesSettings", () => {
  it("adds pasted rules and lists them; toggles and removes", async () => {
    const calls = mockRules();
    const user = userEvent.setup();
    render(<RulesSettings />);
    await screen.findByText("old.yar");
    await user.type(screen.getByTestId("rule-name"), "family.yar");
    await user.type(screen.getByTestId("rule-source"), "rule x {{ condition: true }");
    await user.click(screen.getByTestId("rule-add"));
    await waitFor(() => expect(screen.getAllByTestId("rule-file")).toHaveLength(2));
    expect(calls).toContainEqual({
      cmd: "add_rule_text",
      args: { name: "family.yar", source: "rule x { condition: true }" },
    });
    await user.click(screen.getByRole("checkbox", { name: "Use old.yar in scans" }));
    await waitFor(() =>
      expect(screen.getByRole<HTMLInputElement>("checkbox", { name: "Use old.yar in scans" }).checked).toBe(false),
    );
    await user.click(screen.getByRole("button", { name: "Remove old.yar" }));
    await waitFor(() => expect(screen.getAllByTestId("rule-file")).toHaveLength(1));
  });

  it("shows yara-x's compile error at the source field", async () => {
    mockRules();
    const user = userEvent.setup();
    render(<RulesSettings />);
    await user.type(screen.getByTestId("rule-name"), "bad.yar");
    await user.type(screen.getByTestId("rule-source"), "rule broken");
    await user.click(screen.getByTestId("rule-add"));
    const error = await screen.findByTestId("rule-add-error");
    expect(error.textContent).toContain("bad.yar:1:6");
    expect(screen.getByTestId("rule-source").getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByTestId("rule-source").getAttribute("aria-describedby")).toBe("rule-add-error");
  });

  it("adds a file the app's dialog picks, sends no path, and reports an unreadable file", async () => {
    const calls = mockRules();
    const user = userEvent.setup();
    render(<RulesSettings />);
    await user.type(screen.getByTestId("rule-name"), "disk.yar");
    await user.click(screen.getByRole("radio", { name: "A file on disk" }));
    expect(screen.queryByTestId("rule-path")).toBeNull();
    await user.click(screen.getByTestId("rule-add"));
    expect((await screen.findByTestId("rule-add-error")).textContent).toContain("No such file");
    expect(calls).toContainEqual({ cmd: "add_rule_path", args: { name: "disk.yar" } });
  });

  it("scans the open review and lists matches as text", async () => {
    mockRules();
    const user = userEvent.setup();
    render(<RulesSettings />);
    await user.click(screen.getByTestId("rule-scan"));
    const signal = await screen.findByTestId("rule-signal");
    expect(signal.textContent).toBe("bg.js:3:5 family.yar/uses_eval $a — <i>eval</i> call");
    expect(document.querySelector("i")).toBeNull();
    expect(screen.getByTestId("rule-scan-result").textContent).toContain("1 match from 1 rule file over 6 files");
  });
});
