import { useRef, useState, type FormEvent } from "react";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportSummary } from "../bindings/ImportSummary";
import { commands, toUiError } from "../ipc";

type State =
  | { status: "idle" }
  | { status: "running"; done: number; total: number; committing: boolean }
  | { status: "done"; summary: ImportSummary }
  | { status: "error"; message: string };

/** Imports a package (XPI/zip, CRX, .tgz) from a path on disk into the cache, with progress: no
 * server needed. */
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
      setState({ status: "error", message: "Enter the path of an .xpi, .zip, .crx or .tgz file." });
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
    <form className="import-panel" onSubmit={submit} aria-label="Import a package">
      <label htmlFor="import-path">Package file</label>
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
          <>
            <span data-testid="import-result">
              {state.summary.already_present ? "Already cached: " : "Imported "}
              {state.summary.name} {state.summary.label} ({state.summary.files} files)
            </span>
            <ImportNotes summary={state.summary} />
          </>
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

/** Another build of the same version, an unverified CRX signature, a package without a
 * manifest: said under the result, since each changes how the version should be read. */
function ImportNotes({ summary }: { summary: ImportSummary }) {
  const notes: string[] = [];
  if (summary.same_version_builds > 0) {
    const n = summary.same_version_builds;
    notes.push(`${n === 1 ? "Another build" : `${n} other builds`} of ${summary.version || "this version"} ${n === 1 ? "is" : "are"} cached with different bytes; this one is build ${summary.short_hash}.`);
  }
  if (summary.signature_note) notes.push(`${summary.signature_note}.`);
  if (summary.kind === "package") notes.push("No manifest.json: kept as a package.");
  if (summary.root_prefix) notes.push(`Every path was under ${summary.root_prefix}, which is left out.`);
  if (notes.length === 0) return null;
  return (
    <ul className="import-notes muted" data-testid="import-notes">
      {notes.map((n) => (
        <li key={n}>{n}</li>
      ))}
    </ul>
  );
}
