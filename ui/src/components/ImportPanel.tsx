import { useState, type FormEvent } from "react";
import type { ImportProgress } from "../bindings/ImportProgress";
import type { ImportSummary } from "../bindings/ImportSummary";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";

/** How far the running import has got, from its progress messages. */
type Progress = { done: number; total: number; committing: boolean };
const NO_PROGRESS: Progress = { done: 0, total: 0, committing: false };

function advance(s: Progress, p: ImportProgress): Progress {
  if (p.stage === "started") return { ...s, total: p.files };
  if (p.stage === "stored") return { ...s, done: p.files_done };
  return { ...s, committing: true };
}

/** Imports a package (XPI/zip, CRX, .tgz) into the cache, with progress: no server needed. The
 * file is chosen in the system's own dialog, opened by the app: the page never names a path. */
export function ImportPanel({ onImported }: { onImported: (summary: ImportSummary) => void }) {
  const importing = useCommand<ImportSummary | null>();
  // Progress is shown only while the import runs, so a message arriving after the reply
  // cannot turn a finished import back into a running one.
  const [progress, setProgress] = useState<Progress>(NO_PROGRESS);
  // Imports finished, refused or cancelled so far: a new result is told from the last one by it.
  const [finished, setFinished] = useState(0);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProgress(NO_PROGRESS);
    const onProgress = (p: ImportProgress) => setProgress((s) => advance(s, p));
    void importing.run((live) => commands.importXpi(live(onProgress))).then((r) => {
      if (r.status !== "stale") setFinished((n) => n + 1);
      // Null: the reviewer closed the dialog without choosing a file.
      if (r.status === "ok" && r.data) onImported(r.data);
    });
  };
  const summary = importing.status === "ok" ? importing.data : null;
  const error = importing.error?.message ?? null;
  return (
    <form className="import-panel" onSubmit={submit} aria-label="Import a package" data-finished={finished}>
      <button type="submit" data-testid="import-button" disabled={importing.busy}>
        Import a package…
      </button>{" "}
      <span className="muted">.xpi, .zip, .crx or .tgz</span>
      <div className="import-status" aria-live="polite">
        {importing.busy && (
          <>
            <progress
              data-testid="import-progress"
              aria-label="Import progress"
              max={Math.max(1, progress.total)}
              value={progress.done}
            />{" "}
            {progress.committing ? "Committing…" : `${progress.done} of ${progress.total} files`}
          </>
        )}
        {summary && (
          <>
            <span data-testid="import-result">
              {summary.already_present ? "Already cached: " : "Imported "}
              {summary.name} {summary.label} ({summary.files} files)
            </span>
            <ImportNotes summary={summary} />
          </>
        )}
        {error && (
          <span role="alert" className="error" data-testid="import-error">
            {error}
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
