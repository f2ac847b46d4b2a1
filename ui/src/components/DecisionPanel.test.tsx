import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import type { DecisionTarget } from "../bindings/DecisionTarget";
import { DecisionPanel, parseReasons } from "./DecisionPanel";

const TARGET: DecisionTarget = {
  addon: { id: 101, guid: "tab-tidy@vetter.example" },
  addon_name: "Tab Tidy <b>bold</b>",
  version: { id: 10102, version: "1.1.0", file_sha256: "a".repeat(64) },
  queue: "extension",
  actions: [
    { action: "public", reasons: "optional", comments: "optional", versions: "forbidden", delayed_rejection_days: "forbidden" },
    { action: "reject", reasons: "required", comments: "optional", versions: "forbidden", delayed_rejection_days: "forbidden" },
    { action: "reply", reasons: "forbidden", comments: "required", versions: "forbidden", delayed_rejection_days: "forbidden" },
  ],
  versions: [
    { id: 10102, version: "1.1.0", status: "nominated" },
    { id: 10101, version: "1.0.0", status: "public" },
  ],
  amo: null,
  manifest_guid: "tab-tidy@vetter.example",
  warnings: [],
};

function mock(decide: (args: Record<string, unknown>) => unknown) {
  const calls: Array<Record<string, unknown>> = [];
  mockIPC((cmd, args) => {
    if (cmd === "decision_target") return TARGET;
    if (cmd === "decide") {
      calls.push(args as Record<string, unknown>);
      return decide(args as Record<string, unknown>);
    }
    throw new Error(`unexpected ${cmd}`);
  });
  return calls;
}

describe("DecisionPanel", () => {
  it("asks for the version opened and names guid, server version id and file hash", async () => {
    const asked: Array<Record<string, unknown>> = [];
    const calls: Array<Record<string, unknown>> = [];
    mockIPC((cmd, args) => {
      if (cmd === "decision_target") {
        asked.push(args as Record<string, unknown>);
        return TARGET;
      }
      if (cmd === "decide") {
        calls.push(args as Record<string, unknown>);
        return { online: true, entry: { state: "accepted", decision: { action: "public" } } };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(<DecisionPanel cachedVersionId={2} remoteVersionId={10102} onClose={() => {}} />);
    expect((await screen.findByTestId("decision-guid")).textContent).toBe("tab-tidy@vetter.example");
    expect(asked[0]).toMatchObject({ cachedVersionId: 2, remoteVersionId: 10102 });
    expect(screen.getByTestId("decision-version-id").textContent).toBe("10102");
    expect(screen.getByTestId("decision-file-hash").textContent).toBe(`${"a".repeat(12)}…`);
    expect(screen.queryByTestId("decision-warning")).toBeNull();
    fireEvent.click(screen.getByTestId("decision-submit"));
    await screen.findByTestId("decision-state");
    // The decision names the version the panel showed.
    expect(calls[0]).toMatchObject({ cachedVersionId: 2, remoteVersionId: 10102 });
  });

  it("closes on Escape from any field without signing", async () => {
    const signed: string[] = [];
    mockIPC((cmd) => {
      if (cmd === "decision_target") return TARGET;
      if (cmd === "decide") signed.push(cmd);
      throw new Error(`unexpected ${cmd}`);
    });
    let closed = 0;
    render(<DecisionPanel cachedVersionId={2} remoteVersionId={10102} onClose={() => (closed += 1)} />);
    const submit = await screen.findByTestId("decision-submit");
    fireEvent.keyDown(submit, { key: "Escape" });
    expect(closed).toBe(1);
    expect(signed).toEqual([]);
  });

  it("warns when the manifest's gecko id is not the server's guid", async () => {
    const warning = 'the package\'s manifest declares gecko id "decoy@example.org", but the server files it under add-on "tab-tidy@vetter.example"';
    mockIPC((cmd) => {
      if (cmd === "decision_target") return { ...TARGET, manifest_guid: "decoy@example.org", warnings: [warning] };
      throw new Error(`unexpected ${cmd}`);
    });
    render(<DecisionPanel cachedVersionId={2} onClose={() => {}} />);
    expect((await screen.findByTestId("decision-warning")).textContent).toBe(warning);
    expect(screen.getByTestId("decision-manifest-guid").textContent).toBe("decoy@example.org");
  });

  it("offers only the queue's actions and shows add-on text as text", async () => {
    mock(() => null);
    render(<DecisionPanel cachedVersionId={2} onClose={() => {}} />);
    const select = (await screen.findByTestId("decision-action")) as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(["public", "reject", "reply"]);
    expect(screen.getByTestId("decision-target").textContent).toContain("Tab Tidy <b>bold</b>");
    expect(screen.getByTestId("decision-target").querySelector("b")).toBeNull();
  });

  it("shows the core's refusal next to the field it names", async () => {
    const calls = mock(() => {
      throw { code: "invalid:reasons", message: "reject needs `reasons`: cite at least one policy reason" };
    });
    render(<DecisionPanel cachedVersionId={2} preferred={["reject"]} onClose={() => {}} />);
    await waitFor(() => expect((screen.getByTestId("decision-action") as HTMLSelectElement).value).toBe("reject"));
    // Versions are not part of a plain rejection.
    expect(screen.queryByTestId("decision-versions")).toBeNull();
    fireEvent.click(screen.getByTestId("decision-submit"));
    const error = await screen.findByTestId("decision-error-reasons");
    expect(error.textContent).toContain("cite at least one policy reason");
    expect(calls[0]).toMatchObject({ cachedVersionId: 2, action: "reject", reasons: [] });
    // Typing a reason takes the refusal away; typing elsewhere would not.
    fireEvent.change(screen.getByTestId("decision-comments"), { target: { value: "note" } });
    expect(screen.queryByTestId("decision-error-reasons")).not.toBeNull();
    fireEvent.change(screen.getByTestId("decision-reasons"), { target: { value: "policy-x" } });
    expect(screen.queryByTestId("decision-error-reasons")).toBeNull();
  });

  it("signs a rejection with its reasons and comment and reports it pending when offline", async () => {
    const calls = mock((args) => ({
      online: false,
      entry: {
        state: "pending",
        decision: { action: args.action, reasons: args.reasons },
      },
    }));
    render(<DecisionPanel cachedVersionId={2} preferred={["reject"]} onClose={() => {}} />);
    await waitFor(() => expect((screen.getByTestId("decision-action") as HTMLSelectElement).value).toBe("reject"));
    fireEvent.change(screen.getByTestId("decision-reasons"), { target: { value: "policy-a\n policy-b \n" } });
    fireEvent.change(screen.getByTestId("decision-comments"), { target: { value: "Please remove the tracker." } });
    fireEvent.click(screen.getByTestId("decision-submit"));
    expect((await screen.findByTestId("decision-state")).textContent).toBe("pending");
    expect(screen.getByTestId("decision-done").textContent).toContain("next sync");
    expect(calls[0]).toMatchObject({
      action: "reject",
      reasons: ["policy-a", "policy-b"],
      comments: "Please remove the tracker.",
      versions: [],
      delayedRejectionDays: null,
      send: true,
    });
  });

  it("splits reasons on lines and commas and drops blanks", () => {
    expect(parseReasons("a, b\n\n c ,")).toEqual(["a", "b", "c"]);
  });

  it("inserts the reviewer's notes after what was typed, and says when there are none", async () => {
    const notes = "Reviewer notes:\n- background.js:12: <script>x</script> needs a look\n";
    let summary = notes;
    const asked: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "decision_target") return TARGET;
      if (cmd === "notes_summary") {
        asked.push(args);
        return summary;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(<DecisionPanel cachedVersionId={7} preferred={["reject"]} onClose={() => {}} />);
    const comments = (await screen.findByTestId("decision-comments")) as HTMLTextAreaElement;
    fireEvent.change(comments, { target: { value: "Please fix." } });
    fireEvent.click(screen.getByTestId("decision-insert-notes"));
    await waitFor(() => expect(comments.value).toBe(`Please fix.\n\n${notes}`));
    expect(asked[0]).toMatchObject({ versionId: 7 });
    summary = "";
    fireEvent.click(screen.getByTestId("decision-insert-notes"));
    expect((await screen.findByTestId("decision-notes-info")).textContent).toBe("No notes on this version.");
    expect(comments.value).toBe(`Please fix.\n\n${notes}`);
  });

  it("keeps a decision on an AMO add-on locally and offers its comment and review page", async () => {
    const amoTarget: DecisionTarget = {
      ...TARGET,
      queue: "AMO (listed)",
      amo: {
        addon: TARGET.addon,
        addon_name: TARGET.addon_name,
        version: TARGET.version,
        amo: "https://addons.mozilla.org",
        channel: "listed",
        review_url: "https://addons.mozilla.org/reviewers/review/101",
      },
    };
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === "decision_target") return amoTarget;
      if (cmd === "decide_locally")
        return {
          decision_id: "0190-abc",
          kid: "KID-7",
          comment: "Please sanitize.\n\n* content.js#L18: innerHTML",
          review_url: "https://addons.mozilla.org/reviewers/review/101",
          created_at: "2026-12-03T19:00:00.000Z",
        };
      if (cmd === "open_review_page") return "https://addons.mozilla.org/reviewers/review/101";
      throw new Error(`unexpected ${cmd}`);
    });
    render(<DecisionPanel cachedVersionId={7} preferred={["reject"]} onClose={() => {}} />);
    await screen.findByTestId("decision-amo-note");
    // Nothing is sent, so there is no "send now" choice.
    expect(screen.queryByTestId("decision-send")).toBeNull();
    expect(screen.getByTestId("decision-submit").textContent).toContain("Sign and keep");
    fireEvent.change(screen.getByTestId("decision-reasons"), { target: { value: "policy-a" } });
    fireEvent.click(screen.getByTestId("decision-submit"));
    const comment = (await screen.findByTestId("decision-amo-comment")) as HTMLTextAreaElement;
    expect(comment.value).toContain("* content.js#L18: innerHTML");
    expect(screen.getByTestId("decision-review-url").textContent).toBe(
      "https://addons.mozilla.org/reviewers/review/101",
    );
    expect(calls.find(([c]) => c === "decide_locally")?.[1]).toMatchObject({
      cachedVersionId: 7,
      action: "reject",
      reasons: ["policy-a"],
    });
    expect(calls.some(([c]) => c === "decide")).toBe(false);
    fireEvent.click(screen.getByTestId("decision-open-review"));
    expect((await screen.findByTestId("decision-kept-said")).textContent).toContain("Opened https://addons.mozilla.org");
    expect(calls.find(([c]) => c === "open_review_page")?.[1]).toEqual({ decisionId: "0190-abc" });
  });

  it("chooses the queue's usual action from the vocabulary, focuses signing, and signs on Ctrl+Enter", async () => {
    const calls: Array<Record<string, unknown>> = [];
    const decided: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "decision_target") return { ...TARGET, queue: "needs_reply" };
      if (cmd === "vocabulary")
        return {
          queues: [{ name: "needs_reply", title: "Waiting on a reply", description: "", usual_action: "reply", actions: [] }],
          reasons: [],
          flags: [],
          weight_factors: [],
          actions: [{ name: "reply", title: "Reviewer reply", description: "" }],
          review_reasons: [],
        };
      if (cmd === "decide") {
        calls.push(args as Record<string, unknown>);
        return { online: true, entry: { state: "accepted", decision: { action: "reply", version: { id: 10102 } } } };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(<DecisionPanel cachedVersionId={2} onClose={() => {}} onDecided={(r) => decided.push(r)} />);
    await waitFor(() => expect((screen.getByTestId("decision-action") as HTMLSelectElement).value).toBe("reply"));
    expect(screen.getByTestId("decision-target").textContent).toContain("in Waiting on a reply");
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("decision-submit")));
    const comments = screen.getByTestId("decision-comments");
    fireEvent.change(comments, { target: { value: "Please explain the new permission." } });
    // Plain Enter in the comments is a new line; Ctrl+Enter signs from there.
    fireEvent.keyDown(comments, { key: "Enter" });
    expect(calls).toHaveLength(0);
    fireEvent.keyDown(comments, { key: "Enter", ctrlKey: true });
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]).toMatchObject({ action: "reply", comments: "Please explain the new permission." });
    await waitFor(() => expect(decided).toHaveLength(1));
  });

  it("warns before approving with changed files not viewed, and not for other actions", async () => {
    mock(() => null);
    render(<DecisionPanel cachedVersionId={2} unviewed={2} onClose={() => {}} />);
    const warning = await screen.findByTestId("decision-unviewed-warning");
    expect(warning.textContent).toContain("2 changed files are not marked viewed");
    fireEvent.change(screen.getByTestId("decision-action"), { target: { value: "reject" } });
    expect(screen.queryByTestId("decision-unviewed-warning")).toBeNull();
    // It warns; it does not block.
    fireEvent.change(screen.getByTestId("decision-action"), { target: { value: "public" } });
    expect((screen.getByTestId("decision-submit") as HTMLButtonElement).disabled).toBe(false);
  });

  it("offers the store's reasons for the chosen action, filterable, and adds their responses to the message", async () => {
    const calls: Array<Record<string, unknown>> = [];
    mockIPC((cmd, args) => {
      if (cmd === "decision_target") return TARGET;
      if (cmd === "vocabulary")
        return {
          queues: [],
          reasons: [],
          flags: [],
          weight_factors: [],
          actions: [],
          review_reasons: [
            {
              id: 1,
              name: "Remote code execution",
              canned_response: "Everything an add-on runs must be in its package.",
              policy: { name: "Source code, specifically remote code", text: "No remote scripts." },
              actions: ["reject"],
            },
            { id: 2, name: "Unexplained permission", canned_response: "Remove the unused permission.", policy: null, actions: ["reject"] },
            { id: 3, name: "Approved after review", canned_response: "Thank you.", policy: null, actions: ["public"] },
          ],
        };
      if (cmd === "decide") {
        calls.push(args as Record<string, unknown>);
        return { online: true, entry: { state: "accepted", decision: { action: "reject", version: { id: 10102 } } } };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(<DecisionPanel cachedVersionId={2} onClose={() => {}} />);
    await screen.findByTestId("decision-action");
    const names = () => screen.getAllByTestId("decision-reason").map((r) => r.dataset.reason);
    // Approving offers the reasons for approving, none of the rejection's.
    await waitFor(() => expect(names()).toEqual(["Approved after review"]));
    fireEvent.change(screen.getByTestId("decision-action"), { target: { value: "reject" } });
    await waitFor(() => expect(names()).toEqual(["Remote code execution", "Unexplained permission"]));
    // No free text where the store has a list.
    expect(screen.queryByTestId("decision-reasons")).toBeNull();
    fireEvent.change(screen.getByTestId("decision-reason-filter"), { target: { value: "remote" } });
    expect(names()).toEqual(["Remote code execution"]);
    const box = screen.getAllByTestId("decision-reason")[0]?.querySelector("input");
    if (!box) throw new Error("no checkbox");
    fireEvent.click(box);
    expect((screen.getByTestId("decision-comments") as HTMLTextAreaElement).value).toBe(
      "Everything an add-on runs must be in its package.",
    );
    fireEvent.click(screen.getByTestId("decision-submit"));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0]).toMatchObject({ action: "reject", reasons: ["Remote code execution"] });
  });
});
