import { useState, type FormEvent, type Ref } from "react";
import type { FetchPhase } from "../bindings/FetchPhase";
import type { FetchProgress } from "../bindings/FetchProgress";
import type { FetchReport } from "../bindings/FetchReport";
import type { FetchedVersion } from "../bindings/FetchedVersion";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";
import "./AmoFetchPanel.css";

const PHASE: Record<FetchPhase, string> = {
  resolving: "Looking up",
  listing: "Listing versions",
  downloading: "Downloading",
  done: "Done",
};

/** The cache ids of a fetch's imported versions, newest first (as `FetchReport::imported_ids`). */
export function importedIds(report: FetchReport): number[] {
  return report.versions.flatMap((v) => (v.outcome.outcome === "imported" ? [v.outcome.version_id] : []));
}

/** What happened to one version, in words. */
function outcomeText(v: FetchedVersion): string {
  const o = v.outcome;
  if (o.outcome === "skipped") return `skipped: ${o.reason}`;
  const findings = o.findings > 0 ? ` (${o.findings} validator ${o.findings === 1 ? "finding" : "findings"})` : "";
  return `${o.already_cached ? "already cached as" : "imported as"} version ${o.version_id}${findings}`;
}

/**
 * "Open from AMO": fetches an add-on's versions from the AMO instance the app was started with,
 * by pasted page URL, slug, guid or id, with progress and the outcome of each version. Every
 * text from the server (names, URLs, reasons) is shown as text: nothing it sends becomes a link
 * or markup. `onFetched` opens what was fetched and may answer with a line saying what it did.
 */
export function AmoFetchPanel({
  onFetched,
  inputRef,
}: {
  onFetched: (report: FetchReport) => Promise<string | null> | undefined;
  inputRef?: Ref<HTMLInputElement>;
}) {
  const [reference, setReference] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const fetching = useCommand<FetchReport>();
  // What the review did with the fetched versions, a call of its own so a new fetch drops it.
  const after = useCommand<string | null>();
  const [progress, setProgress] = useState<FetchProgress | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const target = reference.trim();
    if (!target) {
      fetching.reset();
      after.reset();
      setInvalid("Paste an AMO add-on page URL, or enter a slug, guid or numeric id.");
      return;
    }
    setInvalid(null);
    setProgress(null);
    after.reset();
    void fetching.run((live) => commands.fetchFromAmo(target, live(setProgress))).then((r) => {
      if (r.status === "ok") void after.run(() => onFetched(r.data) ?? Promise.resolve(null));
    });
  };
  const running = fetching.busy;
  const report = fetching.status === "ok" ? fetching.data : null;
  const error = invalid ?? fetching.error?.message ?? null;
  return (
    <div className="amo-fetch">
      <form className="import-panel" onSubmit={submit} aria-label="Open from AMO">
        <label htmlFor="amo-ref">
          Add-on on AMO <kbd>o</kbd>
        </label>
        <input
          id="amo-ref"
          ref={inputRef}
          data-testid="amo-ref"
          type="text"
          spellCheck={false}
          autoComplete="off"
          placeholder="https://addons.mozilla.org/en-US/firefox/addon/slug/, slug, guid or id"
          value={reference}
          onChange={(e) => setReference(e.target.value)}
        />
        <button type="submit" data-testid="amo-fetch" disabled={running}>
          {running ? "Fetching…" : "Fetch"}
        </button>
      </form>
      <div className="amo-status" aria-live="polite">
        {running && (
          <p data-testid="amo-progress">
            {progress === null ? (
              "Starting…"
            ) : (
              <>
                {PHASE[progress.phase]}
                {progress.total > 0 && (
                  <>
                    {" "}
                    <progress
                      aria-label="Fetch progress"
                      max={Math.max(1, progress.total)}
                      value={progress.done}
                    />{" "}
                    {progress.done}/{progress.total}
                  </>
                )}
                {progress.message && <>: {progress.message}</>} · {Math.round(progress.bytes / 1024)}{" "}
                KiB
              </>
            )}
          </p>
        )}
        {report && <FetchResult report={report} next={after.data ?? null} />}
        {error && (
          <p role="alert" className="error" data-testid="amo-error">
            {error}
          </p>
        )}
      </div>
    </div>
  );
}

/** The add-on a fetch found, how it asked, and each version's outcome, newest first. */
function FetchResult({ report, next }: { report: FetchReport; next: string | null }) {
  const ids = importedIds(report);
  const skipped = report.versions.length - ids.length;
  return (
    <div className="amo-result" data-testid="amo-result">
      <p>
        <strong data-testid="amo-addon-name">{report.addon.name}</strong>
        {report.addon.guid && <span className="muted"> ({report.addon.guid})</span>} · AMO page:{" "}
        <code className="amo-url" data-testid="amo-page-url">
          {report.addon.page_url}
        </code>
      </p>
      <p className="muted" data-testid="amo-summary">
        {ids.length} of {report.versions.length} {report.versions.length === 1 ? "version" : "versions"} in the cache
        {skipped > 0 ? `, ${skipped} skipped` : ""}; {report.listed} listed ({report.filter}),{" "}
        {report.signed ? "signed with your API key" : "anonymous: public versions only"}; {report.requests} requests,{" "}
        {Math.round(report.bytes / 1024)} KiB.
      </p>
      {report.capped && <p className="muted">{report.capped}</p>}
      <ul className="amo-versions" data-testid="amo-versions">
        {report.versions.map((v) => (
          <li
            key={v.amo_version_id}
            data-testid="amo-version"
            className={v.outcome.outcome === "skipped" ? "skipped" : undefined}
          >
            <span className="amo-version-label">{v.version}</span>{" "}
            <span className="muted">
              ({v.channel}
              {v.deleted ? ", deleted" : ""})
            </span>{" "}
            {outcomeText(v)}
          </li>
        ))}
      </ul>
      {next && <p data-testid="amo-next">{next}</p>}
    </div>
  );
}
