import { useCallback, useState } from "react";
import type { WrittenReport } from "../bindings/WrittenReport";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";

/**
 * Writes the audit report of the open pair (self-contained HTML without scripts, and Markdown)
 * into a folder the reviewer types; the default is under the data folder's `reports/`.
 */
export function ReportExport({ oldId, newId }: { oldId: number; newId: number }) {
  const defaultDir = useCommand(useCallback(() => commands.defaultReportDir(oldId, newId), [oldId, newId]));
  // Null until the reviewer types: the default folder fills the field meanwhile.
  const [typed, setDir] = useState<string | null>(null);
  const dir = typed ?? defaultDir.data ?? "";
  const writing = useCommand<WrittenReport>();
  const busy = writing.busy;
  // Only the latest export's outcome is shown: a running one hides the previous result.
  const written = writing.status === "ok" ? writing.data : null;
  const error = (writing.error ?? defaultDir.error)?.message ?? null;

  const write = () => void writing.run(() => commands.exportReport(oldId, newId, dir));

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
