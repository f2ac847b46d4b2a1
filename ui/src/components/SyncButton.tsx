import type { SyncPhase } from "../bindings/SyncPhase";
import { startSync, useServer } from "../hooks/useServer";

const PHASE: Record<SyncPhase, string> = {
  queues: "Queues",
  metadata: "Add-on details",
  downloads: "Downloads",
  done: "Done",
};

/** Sync now (push the outbox, then pull), with the pull's live progress and its outcome. */
export function SyncButton() {
  const { syncing, lastReport, error, status, syncsEnded } = useServer();
  return (
    <div className="sync-bar" aria-live="polite" data-testid="sync-bar" data-syncs-ended={syncsEnded}>
      <button type="button" data-testid="sync-button" onClick={() => void startSync()} disabled={syncing !== null || !status?.server}>
        {syncing !== null ? "Syncing…" : "Sync"}
      </button>
      {syncing === "starting" && <span data-testid="sync-progress">Sending decisions…</span>}
      {syncing !== null && syncing !== "starting" && (
        <span data-testid="sync-progress">
          {PHASE[syncing.phase]}{" "}
          <progress max={Math.max(1, syncing.total)} value={syncing.done} aria-label="Sync progress" />{" "}
          {syncing.done} of {syncing.total}, {Math.round(syncing.bytes / 1024)} KiB
        </span>
      )}
      {syncing === null && lastReport && (
        <span data-testid="sync-result">
          {lastReport.online
            ? `Synced: ${lastReport.synced?.entries_changed ?? 0} entries changed, ${lastReport.synced?.downloaded ?? 0} XPIs downloaded; ${lastReport.pushed.accepted} decisions accepted, ${lastReport.pushed.waiting} waiting.`
            : `The server did not answer: working offline, ${lastReport.pushed.waiting} decisions waiting.`}
        </span>
      )}
      {syncing === null && error && (
        <span role="alert" className="error" data-testid="sync-error">
          {error}
        </span>
      )}
    </div>
  );
}
