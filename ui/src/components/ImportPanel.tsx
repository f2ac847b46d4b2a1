import { useRef, useState, type FormEvent } from "react";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportSummary } from "../bindings/ImportSummary";
import { commands, toUiError } from "../ipc";

type State =
  | { status: "idle" }
  | { status: "running"; done: number; total: number; committing: boolean }
  | { status: "done"; summary: ImportSummary }
  | { status: "error"; message: string };

/** Imports an XPI from a path on disk into the cache, with progress: no server needed. */
export function ImportPanel({ onImported }: { onImported: (summary: ImportSummary) => void }) {
  const [path, setPath] = useState("");
  const [state, setState] = useState<State>({ status: "idle" });
  // Channel messages can arrive after the command's reply; a late one from this run or an
  // earlier run must not turn a finished import back into a running one.
  const run = useRef(0);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const target = path.trim();
    if (!target) {
      setState({ status: "error", message: "Enter the path of an .xpi or .zip file." });
      return;
    }
    const id = ++run.current;
    setState({ status: "running", done: 0, total: 0, committing: false });
    const onProgress = (p: ImportProgress) => {
      setState((s) => {
        if (run.current !== id || s.status !== "running") return s;
        if (p.stage === "started") return { ...s, total: p.files };
        if (p.stage === "stored") return { ...s, done: p.files_done };
        return { ...s, committing: true };
      });
    };
    commands.importXpi(target, onProgress).then(
      (summary) => {
        if (run.current !== id) return;
        setState({ status: "done", summary });
        onImported(summary);
      },
      (err: unknown) => {
        if (run.current === id) setState({ status: "error", message: toUiError(err).message });
      },
    );
  };
  return (
    <form className="import-panel" onSubmit={submit} aria-label="Import an XPI">
      <label htmlFor="import-path">XPI file</label>
      <input
        id="import-path"
        data-testid="import-path"
        type="text"
        spellCheck={false}
        placeholder="/path/to/addon-1.2.3.xpi"
        value={path}
        onChange={(e) => setPath(e.target.value)}
      />
      <button type="submit" data-testid="import-button" disabled={state.status === "running"}>
        Import
      </button>
      <div className="import-status" aria-live="polite">
        {state.status === "running" && (
          <>
            <progress
              data-testid="import-progress"
              aria-label="Import progress"
              max={Math.max(1, state.total)}
              value={state.done}
            />{" "}
            {state.committing ? "Committing…" : `${state.done} of ${state.total} files`}
          </>
        )}
        {state.status === "done" && (
          <span data-testid="import-result">
            {state.summary.already_present ? "Already cached: " : "Imported "}
            {state.summary.name} {state.summary.version} ({state.summary.files} files)
          </span>
        )}
        {state.status === "error" && (
          <span role="alert" className="error" data-testid="import-error">
            {state.message}
          </span>
        )}
      </div>
    </form>
  );
}
