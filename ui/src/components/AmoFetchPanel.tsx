import { useRef, useState, type FormEvent, type Ref } from "react";
import type { FetchPhase } from "../bindings/FetchPhase";
import type { FetchProgress } from "../bindings/FetchProgress";
import type { FetchReport } from "../bindings/FetchReport";
import type { FetchedVersion } from "../bindings/FetchedVersion";
import { commands, toUiError } from "../ipc";
import "./AmoFetchPanel.css";

type State =
  | { status: "idle" }
  | { status: "running"; progress: FetchProgress | null }
  | { status: "done"; report: FetchReport; next: string | null }
  | { status: "error"; message: string };

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
  const [state, setState] = useState<State>({ status: "idle" });
  // Channel messages can arrive after the reply; a late one must not reopen a finished fetch.
  const run = useRef(0);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const target = reference.trim();
    if (!target) {
      setState({ status: "error", message: "Paste an AMO add-on page URL, or enter a slug, guid or numeric id." });
      return;
    }
    const id = ++run.current;
    setState({ status: "running", progress: null });
    const onProgress = (p: FetchProgress) =>
      setState((s) => (run.current === id && s.status === "running" ? { status: "running", progress: p } : s));
    commands.fetchFromAmo(target, onProgress).then(
      (report) => {
        if (run.current !== id) return;
        setState({ status: "done", report, next: null });
        const after = onFetched(report);
        if (after)
          void after.then(
            (next) => {
              if (run.current === id && next)
                setState((s) => (s.status === "done" ? { ...s, next } : s));
            },
            () => {},
          );
      },
      (err: unknown) => {
        if (run.current === id) setState({ status: "error", message: toUiError(err).message });
      },
    );
  };
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
        <button type="submit" data-testid="amo-fetch" disabled={state.status === "running"}>
          {state.status === "running" ? "Fetching…" : "Fetch"}
        </button>
      </form>
      <div className="amo-status" aria-live="polite">
        {state.status === "running" && (
          <p data-testid="amo-progress">
            {state.progress === null ? (
              "Starting…"
            ) : (
              <>
                {PHASE[state.progress.phase]}
                {state.progress.total > 0 && (
                  <>
                    {" "}
                    <progress
                      aria-label="Fetch progress"
                      max={Math.max(1, state.progress.total)}
                      value={state.progress.done}
                    />{" "}
                    {state.progress.done}/{state.progress.total}
                  </>
                )}
                {state.progress.message && <>: {state.progress.message}</>} · {Math.round(state.progress.bytes / 1024)}{" "}
                KiB
              </>
            )}
          </p>
        )}
        {state.status === "done" && <FetchResult report={state.report} next={state.next} />}
        {state.status === "error" && (
          <p role="alert" className="error" data-testid="amo-error">
            {state.message}
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
