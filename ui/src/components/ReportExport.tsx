import { useEffect, useState } from "react";
import type { WrittenReport } from "../bindings/WrittenReport";
import { commands, toUiError } from "../ipc";

/**
 * Writes the audit report of the open pair (self-contained HTML without scripts, and Markdown)
 * into a folder the reviewer types; the default is under the data folder's `reports/`.
 */
export function ReportExport({ oldId, newId }: { oldId: number; newId: number }) {
  const [dir, setDir] = useState("");
  const [busy, setBusy] = useState(false);
  const [written, setWritten] = useState<WrittenReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    commands.defaultReportDir(oldId, newId).then(setDir, (err: unknown) => setError(toUiError(err).message));
  }, [oldId, newId]);

  const write = () => {
    setBusy(true);
    setError(null);
    setWritten(null);
    commands.exportReport(oldId, newId, dir).then(
      (w) => {
        setWritten(w);
        setBusy(false);
      },
      (err: unknown) => {
        setError(toUiError(err).message);
        setBusy(false);
      },
    );
  };

  return (
    <section className="audit-panel" aria-label="Audit report" data-testid="report-panel">
      <h3>Audit report</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          write();
        }}
      >
        <label>
          Folder{" "}
          <input
            data-testid="report-dir"
            size={40}
            value={dir}
            onChange={(e) => setDir(e.target.value)}
            aria-invalid={error !== null}
          />
        </label>{" "}
        <button type="submit" data-testid="report-export" disabled={busy || dir.trim() === ""}>
          {busy ? "Writing…" : "Export report"}
        </button>
      </form>
      {error && (
        <p role="alert" className="error" data-testid="report-error">
          {error}
        </p>
      )}
      {written && (
        <ul data-testid="report-written" aria-live="polite">
          <li>
            HTML: <code data-testid="report-html">{written.html}</code>
          </li>
          <li>
            Markdown: <code data-testid="report-md">{written.markdown}</code>
          </li>
        </ul>
      )}
    </section>
  );
}
