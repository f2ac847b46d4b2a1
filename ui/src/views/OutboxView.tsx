import { useState } from "react";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { OutboxState } from "../bindings/OutboxState";
import type { PushSummary } from "../bindings/PushSummary";
import { useVocabulary } from "../hooks/useVocabulary";
import { wordsFor } from "../lib/words";
import { EmptyState } from "../components/EmptyState";
import { SyncButton } from "../components/SyncButton";
import { ViewFrame } from "../components/ViewFrame";
import { useCommand } from "../hooks/useCommand";
import { setReachable, useServer } from "../hooks/useServer";
import { flowCommands } from "../ipc";
import "../components/flow.css";

const STATE_LABEL: Record<OutboxState, string> = {
  pending: "Pending",
  sending: "Sending",
  accepted: "Accepted",
  conflict: "Conflict",
  rejected: "Rejected",
};

/** What the server said about an entry, as plain text (its JSON reply is shown verbatim). */
export function serverNote(entry: OutboxEntry): string {
  if (entry.state === "conflict") {
    const now = entry.current_version
      ? `now under review: ${entry.current_version.version} (id ${entry.current_version.id})`
      : "the add-on has no version under review now";
    return `${entry.last_error ?? "conflict"}; ${now}`;
  }
  if (entry.state === "rejected") return `${entry.error_code ?? "rejected"}: ${entry.last_error ?? ""}`;
  if (entry.last_error) return `Last attempt: ${entry.last_error}`;
  return "";
}

/** Signed decisions waiting to be sent, and what the server answered. */
export function OutboxView() {
  const { lastReport } = useServer();
  const vocabulary = useVocabulary();
  // Read again whenever a sync finishes.
  const listed = useCommand(flowCommands.outboxEntries, lastReport);
  const entries = listed.data;
  const error = listed.error?.message ?? null;
  const pushing = useCommand<PushSummary>();
  const retrying = pushing.busy;
  const [retryNote, setRetryNote] = useState<string | null>(null);

  const retry = () => {
    setRetryNote(null);
    void pushing.run(() => flowCommands.pushOutbox()).then((r) => {
      if (r.status === "error") setRetryNote(r.error.message);
      if (r.status !== "ok") return;
      const summary = r.data;
      setReachable(summary.stopped === null);
      setRetryNote(
        `${summary.accepted} accepted, ${summary.conflicts} in conflict, ${summary.rejected} rejected, ${summary.waiting} waiting` +
          (summary.stopped ? ` (stopped: ${summary.stopped})` : ""),
      );
      listed.reload();
    });
  };

  const waiting = entries?.filter((e) => e.state === "pending" || e.state === "sending").length ?? 0;
  return (
    <ViewFrame id="outbox" title="Outbox">
      <div className="queue-toolbar">
        <SyncButton />
        <button type="button" data-testid="outbox-retry" onClick={retry} disabled={retrying || waiting === 0}>
          {retrying ? "Sending…" : `Retry sending (${waiting})`}
        </button>
        {retryNote && <span data-testid="outbox-retry-note">{retryNote}</span>}
      </div>
      {error && (
        <p role="alert" className="error" data-testid="outbox-error">
          {error}
        </p>
      )}
      {entries !== null && entries.length === 0 && (
        <EmptyState title="No decisions yet">
          Decisions you sign are kept here until the server accepts them, also while you are offline.
        </EmptyState>
      )}
      {entries !== null && entries.length > 0 && (
        <table className="outbox-table" data-testid="outbox-table">
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Decision</th>
              <th scope="col">Add-on</th>
              <th scope="col">Recorded</th>
              <th scope="col">Attempts</th>
              <th scope="col">Server reply</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.decision.id} data-testid="outbox-entry" data-state={e.state} data-decision={e.decision.id}>
                <td className={`state-${e.state}`} data-testid="outbox-state">
                  {STATE_LABEL[e.state]}
                </td>
                <td>
                  {wordsFor(vocabulary, "actions", e.decision.action).title}
                  {e.decision.reasons.length > 0 && <div className="muted">{e.decision.reasons.join(", ")}</div>}
                </td>
                <td>
                  {e.decision.addon.guid} {e.decision.version.version}
                </td>
                <td>{e.created_at}</td>
                <td className="num">{e.attempts}</td>
                <td>
                  {serverNote(e)}
                  {e.response !== null && (
                    <details>
                      <summary>Reply</summary>
                      <pre className="server-reply">{JSON.stringify(e.response, null, 2)}</pre>
                    </details>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </ViewFrame>
  );
}
