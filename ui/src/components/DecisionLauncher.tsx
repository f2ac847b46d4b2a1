import { useEffect, useState } from "react";
import type { Action } from "../bindings/Action";
import { DecisionPanel, QUICK_ACTIONS } from "./DecisionPanel";

function typing(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}

/**
 * The review's "Decide…" button and its keys: `d` opens the decision panel, shift+A / shift+R /
 * shift+E open it with approve / reject / escalate chosen, to be confirmed there.
 */
export function DecisionLauncher({ cachedVersionId, active }: { cachedVersionId: number | null; active: boolean }) {
  const [open, setOpen] = useState<{ preferred: Action[] | null } | null>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!active || open || cachedVersionId === null || e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
      if (e.key === "d") {
        e.preventDefault();
        setOpen({ preferred: null });
        return;
      }
      const quick = QUICK_ACTIONS[e.key];
      if (quick && e.shiftKey) {
        e.preventDefault();
        // The panel picks the first of these the queue offers, and waits for the confirmation.
        setOpen({ preferred: quick });
      }
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
          preferred={open.preferred}
          onClose={() => setOpen(null)}
        />
      )}
    </>
  );
}
