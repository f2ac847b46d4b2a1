import { useCallback, useMemo, useState } from "react";
import type { AddonVersions } from "../bindings/AddonVersions";
import type { KeepReason } from "../bindings/KeepReason";
import type { PrunePlan } from "../bindings/PrunePlan";
import type { PruneProgress } from "../bindings/PruneProgress";
import type { PruneReport } from "../bindings/PruneReport";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";
import { countOf, humanBytes } from "../lib/words";

/** Each keep rule in words, as the plan lists them. */
const REASON_WORDS: Record<KeepReason, string> = {
  open_queue: "in an open queue",
  review_base: "diffed against by an open queue entry",
  recent: "among the add-on's last versions",
  pinned: "pinned",
  pending_decision: "a decision on it is waiting",
  note: "has notes",
  viewed: "holds files marked viewed in an open review",
  open: "open in this window",
};

function progressWords(p: PruneProgress | null): string {
  if (p === null) return "Starting…";
  if (p.step === "versions") return `Removing ${p.total} versions…`;
  if (p.step === "blobs") return `Removing unused files: ${p.done} of ${p.total}`;
  return "Compacting the cache…";
}

/**
 * Retention: how many versions of each add-on to keep, a preview of what a prune removes and
 * the space it returns, the prune itself with its progress, and the pinned versions (which no
 * prune removes).
 */
export function RetentionSettings() {
  const [keepLast, setKeepLast] = useState(3);
  const [progress, setProgress] = useState<PruneProgress | null>(null);
  const previewing = useCommand<PrunePlan>();
  const pruning = useCommand<PruneReport>();
  const pins = useCommand(commands.pinnedVersions);
  const addons = useCommand(commands.cachedAddons);
  const unpinning = useCommand<null>();
  const rules = useMemo(() => ({ keep_last: keepLast }), [keepLast]);
  const plan = previewing.data;
  const report = pruning.status === "ok" ? pruning.data : null;

  const preview = useCallback(() => void previewing.run(() => commands.prunePlan(rules)), [previewing, rules]);
  const prune = () => {
    setProgress(null);
    void pruning.run((live) => commands.pruneCache(rules, live(setProgress))).then((r) => {
      if (r.status !== "ok") return;
      previewing.reset();
      pins.reload();
      addons.reload();
    });
  };
  const names = new Map<number, string>();
  for (const a of addons.data ?? ([] as AddonVersions[])) {
    for (const v of a.versions) names.set(v.id, `${a.name} ${v.label}`);
  }
  const error = (pruning.error ?? previewing.error ?? unpinning.error ?? pins.error)?.message ?? null;

  return (
    <section aria-labelledby="retention-title" data-testid="retention-settings">
      <h2 id="retention-title">Cache retention</h2>
      <p className="muted">
        A prune keeps every version an open queue entry is for or diffs against, anything pinned, any version a
        waiting decision, a note or a viewed mark of an open review needs, the versions open in this window, and the
        last versions of each add-on below. The rest goes, with the files only it used.
      </p>
      <div className="settings-form">
        <label htmlFor="keep-last">Versions of each add-on to keep</label>
        <input
          id="keep-last"
          data-testid="keep-last"
          type="number"
          min={0}
          max={1000}
          value={keepLast}
          onChange={(e) => {
            const n = Math.max(0, Math.min(1000, Math.floor(Number(e.target.value) || 0)));
            setKeepLast(n);
            previewing.reset();
          }}
        />
      </div>
      <p>
        <button type="button" data-testid="prune-preview" onClick={preview} disabled={previewing.busy || pruning.busy}>
          {previewing.busy ? "Working out what would go…" : "Preview"}
        </button>{" "}
        <button
          type="button"
          data-testid="prune-run"
          onClick={prune}
          disabled={plan === null || plan.removed.length === 0 || pruning.busy}
        >
          Prune now
        </button>
      </p>
      {error && (
        <p role="alert" className="error" data-testid="retention-error">
          {error}
        </p>
      )}
      {pruning.busy && (
        <p aria-live="polite" data-testid="prune-progress">
          <progress
            aria-label="Prune progress"
            max={progress?.step === "blobs" ? Math.max(1, progress.total) : undefined}
            value={progress?.step === "blobs" ? progress.done : undefined}
          />{" "}
          {progressWords(progress)}
        </p>
      )}
      {plan && !pruning.busy && <PlanSummary plan={plan} />}
      {report && (
        <p data-testid="prune-result" aria-live="polite">
          Removed {countOf(report.versions_removed, "version")} and {countOf(report.blobs_removed, "stored file")}; the
          cache went from{" "}
          {humanBytes(report.file_bytes_before)} to {humanBytes(report.file_bytes_after)}.
        </p>
      )}
      <h3>Pinned versions</h3>
      {(pins.data ?? []).length === 0 ? (
        <p className="muted">None. Pin a version from its review (“Pin”) to keep it whatever the rules say.</p>
      ) : (
        <ul data-testid="pinned-list">
          {(pins.data ?? []).map((id) => (
            <li key={id}>
              {names.get(id) ?? `version ${id}`}{" "}
              <button
                type="button"
                aria-label={`Unpin ${names.get(id) ?? `version ${id}`}`}
                onClick={() =>
                  void unpinning
                    .run(() => commands.setPinned(id, false))
                    .then((r) => r.status === "ok" && pins.reload())
                }
              >
                Unpin
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** What a prune would remove, why the rest stays, and the space it returns. */
function PlanSummary({ plan }: { plan: PrunePlan }) {
  const counts = new Map<KeepReason, number>();
  for (const v of plan.kept) for (const r of v.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return (
    <div data-testid="prune-plan">
      <p>
        {plan.removed.length === 0
          ? "Nothing to remove: every version is kept."
          : `Would remove ${plan.removed.length} of ${countOf(plan.removed.length + plan.kept.length, "version")} and ${countOf(plan.blobs_removed, "stored file")} (${humanBytes(plan.blob_bytes_removed)}); about ${humanBytes(plan.estimated_bytes_returned)} of the cache's ${humanBytes(plan.file_bytes)} returns to the disk.`}
      </p>
      {plan.blobs_kept_as_bases > 0 && (
        <p className="muted">
          {countOf(plan.blobs_kept_as_bases, "stored file")} no kept version uses stay as the bases kept files are stored
          as changes against, which takes less space than storing those whole.
        </p>
      )}
      {plan.blobs_rewritten > 0 && (
        <p className="muted">
          {plan.blobs_rewritten} kept files were stored as changes against removed ones and are stored whole again
          (about {humanBytes(plan.rewritten_bytes_estimate)}).
        </p>
      )}
      {plan.removed.length > 0 && (
        <details>
          <summary>Versions that would go</summary>
          <ul data-testid="prune-removed">
            {plan.removed.map((v) => (
              <li key={v.id}>
                {v.guid} {v.version}
              </li>
            ))}
          </ul>
        </details>
      )}
      <ul className="muted" data-testid="prune-kept">
        {[...counts.entries()].map(([reason, n]) => (
          <li key={reason}>
            {n} kept: {REASON_WORDS[reason]}
          </li>
        ))}
      </ul>
    </div>
  );
}
