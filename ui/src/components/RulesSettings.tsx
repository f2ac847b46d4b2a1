import { useState } from "react";
import type { RuleFileInfo } from "../bindings/RuleFileInfo";
import type { RuleScan } from "../bindings/RuleScan";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";
import { Visible } from "./Visible";

/**
 * The reviewer's local YARA rule files: add one from a file (chosen in the system's dialog,
 * opened by the app: the page never names a path) or pasted text (refused with
 * yara-x's own message when it does not compile), list, enable or disable, remove, and run the
 * enabled rules over the open review's newer version.
 */
export function RulesSettings() {
  const [name, setName] = useState("");
  const [from, setFrom] = useState<"text" | "path">("text");
  const [source, setSource] = useState("");
  const listed = useCommand(commands.ruleFiles);
  const changing = useCommand<null>();
  const adding = useCommand<RuleFileInfo | null>();
  const scanning = useCommand<RuleScan>();
  const files = listed.data ?? [];
  const listError = (changing.error ?? listed.error)?.message ?? null;
  const addError = adding.error?.message ?? null;
  const scan = scanning.data;
  const scanError = scanning.error?.message ?? null;

  const add = () => {
    const added = () => (from === "text" ? commands.addRuleText(name, source) : commands.addRulePath(name));
    void adding.run(added).then((r) => {
      // Null: the file dialog was cancelled, and nothing was added.
      if (r.status !== "ok" || r.data === null) return;
      setName("");
      setSource("");
      listed.reload();
    });
  };
  const act = (change: () => Promise<null>) =>
    changing.run(change).then((r) => r.status === "ok" && listed.reload());
  const runScan = () => void scanning.run(() => commands.scanOpenReview());
  const ready = name.trim() !== "" && (from === "text" ? source.trim() !== "" : true);

  return (
    <section aria-labelledby="rules-title" data-testid="rules-settings">
      <h2 id="rules-title">Local YARA rules</h2>
      {listError && (
        <p role="alert" className="error" data-testid="rules-error">
          {listError}
        </p>
      )}
      {files.length === 0 && !listError && <p className="muted">No rule files yet.</p>}
      <ul className="rules-list" data-testid="rules-list">
        {files.map((f) => (
          <li key={f.name} data-testid="rule-file">
            <label className="check">
              <input
                type="checkbox"
                checked={f.enabled}
                aria-label={`Use ${f.name} in scans`}
                onChange={(e) => {
                  const enabled = e.target.checked;
                  void act(() => commands.setRuleEnabled(f.name, enabled));
                }}
              />
              <strong>{f.name}</strong>
            </label>{" "}
            <span className="muted">
              {f.rules} {f.rules === 1 ? "rule" : "rules"} · {f.size} bytes · added {f.added_at}
            </span>{" "}
            <button type="button" aria-label={`Remove ${f.name}`} onClick={() => void act(() => commands.removeRule(f.name))}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <form
        className="rules-add"
        aria-label="Add a rule file"
        onSubmit={(e) => {
          e.preventDefault();
          if (ready) add();
        }}
      >
        <label>
          Name{" "}
          <input data-testid="rule-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="family-x.yar" />
        </label>
        <fieldset>
          <legend>Rules from</legend>
          <label className="check">
            <input type="radio" name="rule-from" checked={from === "text"} onChange={() => setFrom("text")} />
            Pasted text
          </label>
          <label className="check">
            <input type="radio" name="rule-from" checked={from === "path"} onChange={() => setFrom("path")} />
            A file on disk
          </label>
        </fieldset>
        {from === "text" ? (
          <textarea
            data-testid="rule-source"
            aria-label="Rule source"
            rows={8}
            cols={70}
            value={source}
            onChange={(e) => setSource(e.target.value)}
            aria-invalid={addError !== null}
            aria-describedby={addError ? "rule-add-error" : undefined}
          />
        ) : null}
        <button type="submit" data-testid="rule-add" disabled={adding.busy || !ready}>
          {adding.busy ? "Compiling…" : from === "text" ? "Add rule file" : "Choose a rule file…"}
        </button>
        {addError && (
          <pre role="alert" id="rule-add-error" className="error" data-testid="rule-add-error">
            {addError}
          </pre>
        )}
      </form>
      <p>
        <button type="button" data-testid="rule-scan" onClick={runScan} disabled={scanning.busy}>
          {scanning.busy ? "Scanning…" : "Scan open review"}
        </button>
      </p>
      {scanError && (
        <p role="alert" className="error" data-testid="rule-scan-error">
          {scanError}
        </p>
      )}
      {scan && (
        <div data-testid="rule-scan-result" aria-live="polite">
          <p>
            {scan.signals.length} {scan.signals.length === 1 ? "match" : "matches"} from {scan.rule_files} rule{" "}
            {scan.rule_files === 1 ? "file" : "files"} over {scan.files_scanned} files
            {scan.cached ? " (stored result)" : ""}
            {scan.truncated ? "; list cut short" : ""}
            {scan.skipped.length > 0 ? `; ${scan.skipped.length} files skipped` : ""}
          </p>
          <ul>
            {scan.signals.map((s) => (
              <li key={`${s.path}:${s.offset}:${s.namespace}:${s.rule}:${s.pattern ?? ""}`} data-testid="rule-signal">
                <Visible text={s.path} />:{s.line}:{s.column} {s.namespace}/{s.rule}
                {s.pattern ? ` ${s.pattern}` : ""}
                {s.description ? ` — ${s.description}` : ""}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
