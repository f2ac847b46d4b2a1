import { useCallback } from "react";
import type { WrittenReport } from "../bindings/WrittenReport";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";

/**
 * Writes the audit report of the open pair (self-contained HTML without scripts, and Markdown)
 * into the data folder's `reports/`, or into a folder the reviewer picks in the system's dialog
 * (opened by the app: the page never names a path).
 */
export function ReportExport({ oldId, newId }: { oldId: number; newId: number }) {
  const defaultDir = useCommand(useCallback(() => commands.defaultReportDir(oldId, newId), [oldId, newId]));
  const dir = defaultDir.data ?? "";
  const writing = useCommand<WrittenReport | null>();
  const busy = writing.busy;
  // Only the latest export's outcome is shown: a running one hides the previous result.
  const written = writing.status === "ok" ? writing.data : null;
  const error = (writing.error ?? defaultDir.error)?.message ?? null;

  const write = (chooseFolder: boolean) => void writing.run(() => commands.exportReport(oldId, newId, chooseFolder));

  return (
    <section className="audit-panel" aria-label="Audit report" data-testid="report-panel">
      <h3>Audit report</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          write(false);
        }}
      >
        <label>
          Folder{" "}
          <input data-testid="report-dir" size={40} value={dir} readOnly aria-invalid={error !== null} />
        </label>{" "}
        <button type="submit" data-testid="report-export" disabled={busy || dir === ""}>
          {busy ? "Writing…" : "Export report"}
        </button>{" "}
        <button type="button" data-testid="report-export-to" disabled={busy} onClick={() => write(true)}>
          Export to another folder…
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
