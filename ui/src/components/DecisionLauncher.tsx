import { useEffect, useState } from "react";
import type { Action } from "../bindings/Action";
import type { DecideReport } from "../bindings/DecideReport";
import { bindingFor, typing } from "../lib/keys";
import { DecisionPanel, QUICK_ACTIONS } from "./DecisionPanel";

/**
 * The review's "Decide…" button and its keys: `d` opens the decision panel, shift+A / shift+R /
 * shift+E open it with approve / reject / escalate chosen, to be confirmed there.
 */
export function DecisionLauncher({
  cachedVersionId,
  remoteVersionId = null,
  active,
  unviewed = 0,
  onDecided,
}: {
  cachedVersionId: number | null;
  /** The server version the review was opened as (a queue entry's), when known. */
  remoteVersionId?: number | null;
  active: boolean;
  /** Changed files not marked viewed, for the panel's warning before an approval. */
  unviewed?: number;
  /** A decision was recorded: the panel closes and the review goes on (next entry, status). */
  onDecided?: (report: DecideReport) => void;
}) {
  const [open, setOpen] = useState<{ preferred: Action[] | null } | null>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!active || open || cachedVersionId === null || typing(e)) return;
      const b = bindingFor("decide", e);
      if (!b) return;
      e.preventDefault();
      // A quick action opens the panel with it chosen: the panel picks the first of its actions
      // the queue offers, and waits for the confirmation.
      setOpen({ preferred: b.does === "decide" ? null : QUICK_ACTIONS[b.does] });
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [active, open, cachedVersionId]);

  if (cachedVersionId === null) return null;
  return (
    <>
      <button type="button" data-testid="decide-button" onClick={() => setOpen({ preferred: null })}>
        Decide… <kbd>d</kbd>
      </button>
      {open && (
        <DecisionPanel
          cachedVersionId={cachedVersionId}
          remoteVersionId={remoteVersionId}
          preferred={open.preferred}
          unviewed={unviewed}
          onClose={() => setOpen(null)}
          onDecided={
            onDecided &&
            ((report) => {
              setOpen(null);
              onDecided(report);
            })
          }
        />
      )}
    </>
  );
}
