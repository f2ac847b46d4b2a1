import { useCallback, useEffect, useEffectEvent, useMemo, useReducer, useRef, useState } from "react";
import type { AddonVersions } from "../bindings/AddonVersions";
import type { FetchReport } from "../bindings/FetchReport";
import type { FileCounts } from "../bindings/FileCounts";
import type { FileLayout } from "../bindings/FileLayout";
import type { LineTarget } from "../bindings/LineTarget";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import type { VersionInfo } from "../bindings/VersionInfo";
import type { Whitespace } from "../bindings/Whitespace";
import { AmoFetchPanel, importedIds } from "../components/AmoFetchPanel";
import { BinaryPane } from "../components/BinaryPane";
import { CapabilityPanel } from "../components/CapabilityPanel";
import { PinButton } from "../components/PinButton";
import { DecisionLauncher } from "../components/DecisionLauncher";
import { DiffView, type DiffHandle } from "../components/DiffView";
import { EmptyState } from "../components/EmptyState";
import { FileTree } from "../components/FileTree";
import { ImportPanel } from "../components/ImportPanel";
import { KeyHelp } from "../components/KeyHelp";
import { LinksPanel } from "../components/LinksPanel";
import { NotesPanel } from "../components/NotesPanel";
import { ReportExport } from "../components/ReportExport";
import { Visible } from "../components/Visible";
import { PermissionSummary } from "../components/PermissionSummary";
import { ViewFrame } from "../components/ViewFrame";
import { EntryContext } from "../components/EntryContext";
import { LinkButtons } from "../components/LinkButtons";
import { OpenLinkPanel } from "../components/OpenLinkPanel";
import { useCommand } from "../hooks/useCommand";
import { usePrefs } from "../hooks/usePrefs";
import { useReviewPresence } from "../hooks/usePresence";
import { useQueueState } from "../hooks/useQueueState";
import { useVocabulary } from "../hooks/useVocabulary";
import { nextEntry, reviewPair } from "../lib/queue";
import { wordsFor } from "../lib/words";
import type { DecideReport } from "../bindings/DecideReport";
import { commands, toUiError } from "../ipc";
import { buildTree, fileOrder } from "../lib/fileTree";
import { bindingFor, type ReviewCommand, typing, VIEW_SCOPES } from "../lib/keys";
import { navigate, useReviewRequests, type OpenRequest, type ReviewTarget } from "../lib/navigation";
import { signalCounts, signalsByRow } from "../lib/review";
import { INITIAL_REVIEW, reviewReducer } from "../lib/reviewState";

/** Performance mark names: opening a review, and the first diff painted after it. */
export const MARK_OPEN = "vetter:review-open";
export const MARK_PAINTED = "vetter:first-diff-painted";
export const MEASURE_FIRST_DIFF = "vetter:open-to-first-diff";
/** Marks between the two above, so a slow first diff shows which step took the time. */
export const MARK_SUMMARY = "vetter:review-summary";
export const MARK_LAYOUT = "vetter:first-file-layout";

const WHITESPACE_LABELS: Record<Whitespace, string> = {
  all: "Show all whitespace changes",
  ignore_trailing: "Ignore trailing whitespace",
  ignore_all: "Ignore all whitespace",
};


/** Picks an add-on and two of its versions (default: the one before the latest, then the latest). */
const FORMAT_NAMES: Record<VersionInfo["format"], string> = { zip: "zip", crx2: "CRX2", crx3: "CRX3", tar_gz: "tar.gz" };

/** The host of the AMO page a version was fetched from (the whole text when it is no URL). */
function originHost(origin: string): string {
  try {
    return new URL(origin).host || origin;
  } catch {
    return origin;
  }
}

/** A version as the picker offers it: its label (with the build hash when builds share the
 * version string), the container when it is not a plain zip, and where it was fetched from. */
function versionChoice(v: VersionInfo): string {
  const label = v.format === "zip" ? v.label : `${v.label} · ${FORMAT_NAMES[v.format]}`;
  return v.origin ? `${label} · from ${originHost(v.origin)}` : label;
}

/** What the reviewer must not miss about where the compared versions came from: builds that
 * share a version string, CRX signatures that were not verified, packages without a manifest. */
function SourceNotes({ versions }: { versions: VersionInfo[] }) {
  const notes: string[] = [];
  for (const v of versions) {
    if (v.same_version_builds > 0) {
      const others = v.same_version_builds === 1 ? "1 other build" : `${v.same_version_builds} other builds`;
      notes.push(`${v.label}: ${others} of ${v.version || "(no version)"} cached, with different bytes.`);
    }
    if (v.signature_note) notes.push(`${v.label} (${v.source_name}): ${v.signature_note}.`);
    if (v.kind === "package") notes.push(`${v.label} is a package without a manifest: no permissions to compare.`);
  }
  // Where fetched versions came from, one line per page (both sides usually share it).
  const origins = new Map<string, string[]>();
  for (const v of versions) if (v.origin) origins.set(v.origin, [...(origins.get(v.origin) ?? []), v.label]);
  for (const [origin, labels] of origins) notes.push(`${labels.join(" and ")} fetched from ${origin}`);
  const unique = [...new Set(notes)];
  if (unique.length === 0) return null;
  return (
    <ul className="review-source-notes muted" data-testid="review-source-notes">
      {unique.map((n) => (
        <li key={n}>{n}</li>
      ))}
    </ul>
  );
}

function VersionPicker({
  addons,
  onOpen,
  busy,
  current,
}: {
  addons: AddonVersions[];
  onOpen: (oldId: number, newId: number) => void;
  busy: boolean;
  /** The pair under review, however it was opened (queue, search, this form). */
  current: [number, number] | null;
}) {
  const [guid, setGuid] = useState(addons[0]?.guid ?? "");
  const addon = addons.find((a) => a.guid === guid) ?? addons[0];
  const versions = addon?.versions ?? [];
  // The reviewer's picks for this add-on; until then, the one before the latest → the latest.
  const [picked, setPicked] = useState<{ guid: string; old: number | null; next: number | null } | null>(null);
  // A review opened from elsewhere shows its own add-on and pair here (adjusted while
  // rendering, as React advises for state that follows a prop).
  const [shown, setShown] = useState<[number, number] | null>(null);
  if (current !== shown) {
    const owner = current && addons.find((a) => a.versions.some((v) => v.id === current[1]));
    if (!current || owner) {
      setShown(current);
      if (current && owner) {
        setGuid(owner.guid);
        setPicked({ guid: owner.guid, old: current[0], next: current[1] });
      }
    }
  }
  const n = versions.length;
  const mine = picked && picked.guid === addon?.guid ? picked : null;
  const oldId = mine ? mine.old : n >= 2 ? (versions[n - 2]?.id ?? null) : null;
  const newId = mine ? mine.next : n >= 1 ? (versions[n - 1]?.id ?? null) : null;
  const setOldId = (id: number) => setPicked({ guid: addon?.guid ?? "", old: id, next: newId });
  const setNewId = (id: number) => setPicked({ guid: addon?.guid ?? "", old: oldId, next: id });
  const same = oldId !== null && oldId === newId;
  return (
    <form
      className="picker"
      aria-label="Pick versions to compare"
      onSubmit={(e) => {
        e.preventDefault();
        if (oldId !== null && newId !== null && !same) onOpen(oldId, newId);
      }}
    >
      <label>
        Add-on
        <select data-testid="pick-addon" value={addon?.guid ?? ""} onChange={(e) => setGuid(e.target.value)}>
          {addons.map((a) => (
            <option key={a.guid} value={a.guid}>
              {a.name} ({a.versions.length} {a.versions.length === 1 ? "version" : "versions"})
            </option>
          ))}
        </select>
      </label>
      <label>
        From
        <select data-testid="pick-old" value={oldId ?? ""} onChange={(e) => setOldId(Number(e.target.value))}>
          {versions.map((v) => (
            <option key={v.id} value={v.id}>
              {versionChoice(v)}
            </option>
          ))}
        </select>
      </label>
      <label>
        To
        <select data-testid="pick-new" value={newId ?? ""} onChange={(e) => setNewId(Number(e.target.value))}>
          {versions.map((v) => (
            <option key={v.id} value={v.id}>
              {versionChoice(v)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" data-testid="open-review" disabled={busy || same || versions.length < 2}>
        {busy ? "Comparing…" : "Compare"}
      </button>
      {versions.length < 2 && <span className="muted">Import another version of this add-on to compare.</span>}
      {same && (
        <span role="alert" className="error">
          Pick two different versions.
        </span>
      )}
    </form>
  );
}

/** The review of one add-on: versions, permission changes, files, and the diff. */
export function ReviewView({ active = true }: { active?: boolean }) {
  const [prefs, setPrefs] = usePrefs();
  const [state, dispatch] = useReducer(reviewReducer, INITIAL_REVIEW);
  const { summary, selected, layout, session, pair, remoteVersionId, pretty, help } = state;
  const linkDetails = useRef<HTMLDetailsElement>(null);
  const amoDetails = useRef<HTMLDetailsElement>(null);
  const amoInput = useRef<HTMLInputElement>(null);
  const diff = useRef<DiffHandle>(null);
  const search = useRef<HTMLInputElement>(null);
  // Set by an open and cleared once its first diff is painted: the performance marks' span.
  const timing = useRef(false);

  // Read the cache each time the view is shown: a sync or import may have added versions.
  const addons = useCommand(useMemo(() => (active ? () => commands.cachedAddons() : null), [active]));
  const opening = useCommand<{ summary: ReviewSummary; target?: { target: LineTarget; line: number }; revealError?: string }>();
  const viewing = useCommand<FileLayout>();
  const rescan = useCommand<ReviewSummary>();
  const marking = useCommand<number>();
  const finding = useCommand<number[]>();
  const revealing = useCommand<LineTarget>();

  const tree = useMemo(() => (summary ? buildTree(summary.files) : []), [summary]);
  // Files listed only because a signal or a search hit points into them are not changes.
  const queue = useQueueState(active);
  const vocabulary = useVocabulary();
  const entry = remoteVersionId == null ? null : (queue.entries.find((e) => e.version_id === remoteVersionId) ?? null);
  // Others with this add-on open are named in the header; the server learns this one is.
  const othersHere = useReviewPresence(entry ? entry.addon_id : null);
  // While the reviewer reads this entry, the next one is opened and counted on the Rust side, so
  // that going on to it (after a decision, or from the queue) shows it complete at once.
  const nextPair = useMemo(() => {
    if (remoteVersionId == null || summary === null) return null;
    const next = nextEntry(queue.entries, queue.decided, remoteVersionId);
    return next && reviewPair(next);
  }, [queue.entries, queue.decided, remoteVersionId, summary]);
  const preparedKey = nextPair ? `${nextPair.old}-${nextPair.next}-${prefs.whitespace}` : null;
  useEffect(() => {
    if (!nextPair || !preparedKey) return;
    // A failure is only a missed head start: opening the entry reports any real problem.
    void commands.prepareReview(nextPair.old, nextPair.next, prefs.whitespace).catch(() => null);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once per pair and whitespace mode
  }, [preparedKey]);
  // What the last decision did, and how many were signed in this window (tests wait on the count).
  const [decidedNote, setDecidedNote] = useState<{ text: string; state: string; count: number } | null>(null);
  // After a decision: say what happened, and go on to the queue's next undecided entry.
  const decided = (report: DecideReport) => {
    const title = wordsFor(vocabulary, "actions", report.entry.decision.action).title;
    const where = report.online && report.entry.state === "accepted" ? "sent" : "waiting in the outbox";
    setDecidedNote((n) => ({
      text: `${title} on ${report.entry.decision.version.version}: signed, ${where}.`,
      state: report.entry.state,
      count: (n?.count ?? 0) + 1,
    }));
    const done = new Map(queue.decided).set(report.entry.decision.version.id, report.entry);
    const next = prefs.advance ? nextEntry(queue.entries, done, report.entry.decision.version.id) : null;
    const pairOfNext = next && reviewPair(next);
    if (pairOfNext) navigate({ view: "review", open: pairOfNext });
    queue.reload();
  };
  const changedFiles = useMemo(
    () => (summary ? summary.files.filter((f) => f.change.status !== "unchanged").length : 0),
    [summary],
  );
  const order = useMemo(() => fileOrder(tree), [tree]);
  const signalCountMap = useMemo(() => signalCounts(summary?.signals ?? []), [summary]);
  const file = summary && selected !== null ? summary.files[selected] : undefined;
  const isText = file?.change.kind === "text";
  const wrap = prefs.wrap ? state.wrapCols : null;

  // The one way a review opens: from the picker, another view, a fetch, or a whitespace change.
  const runOpen = opening.run;
  const open = useCallback(
    (
      old: number,
      next: number,
      whitespace: Whitespace,
      then: { keepPath?: string; at?: ReviewTarget["at"]; remoteVersionId?: number | null } = {},
    ) => {
      performance.clearMarks(MARK_OPEN);
      performance.mark(MARK_OPEN);
      timing.current = true;
      dispatch({ type: "open-start" });
      const options = { layout: prefs.layout, wrap, pretty };
      void runOpen(async (live) => {
        const summary = await commands.openReview(
          old,
          next,
          whitespace,
          live((batch: FileCounts[]) => dispatch({ type: "counts", batch })),
          live((s: ReviewSummary) => dispatch({ type: "signals", summary: s })),
        );
        performance.clearMarks(MARK_SUMMARY);
        performance.mark(MARK_SUMMARY);
        const at = then.at;
        if (!at) return { summary };
        // The review opens even when its line cannot be shown; the reason is said instead.
        return commands.revealLine(at.path, at.line, options).then(
          (target) => ({ summary, target: { target, line: at.line } }),
          (err: unknown) => ({ summary, revealError: toUiError(err).message }),
        );
      }).then((r) => {
        if (r.status === "ok")
          dispatch({
            type: "opened",
            pair: [old, next],
            remoteVersionId: then.remoteVersionId,
            keepPath: then.keepPath,
            ...r.data,
          });
        else if (r.status === "error") dispatch({ type: "open-failed", message: r.error.message });
      });
    },
    [prefs.layout, wrap, pretty, runOpen],
  );
  // A pair asked for by another view (a queue entry, a search hit), with its line if it names one.
  useReviewRequests(
    useCallback(
      (r: OpenRequest) => open(r.old, r.next, prefs.whitespace, { at: r.at, remoteVersionId: r.remoteVersionId }),
      [open, prefs.whitespace],
    ),
  );

  // A rules scan run from Settings while away changes the open review's signals.
  const hasReview = summary !== null;
  const onShown = useEffectEvent(() => {
    const asked = session;
    void rescan.run(() => commands.reviewSummary()).then((r) => {
      // No review on the Rust side (a failed open): the view shows its own error already.
      if (r.status === "ok") dispatch({ type: "signals", summary: r.data, session: asked });
    });
  });
  useEffect(() => {
    if (active && hasReview) onShown();
  }, [active, hasReview]);

  // Lay out the selected text file, again whenever the session, the file or the options change.
  const runView = viewing.run;
  useEffect(() => {
    if (selected === null || !isText) return;
    void runView(() => commands.viewFile(selected, { layout: prefs.layout, wrap, pretty })).then((r) => {
      if (r.status === "ok") {
        if (timing.current) {
          performance.clearMarks(MARK_LAYOUT);
          performance.mark(MARK_LAYOUT);
        }
        dispatch({ type: "layout", session, layout: r.data });
      } else if (r.status === "error") dispatch({ type: "file-error", message: r.error.message });
    });
  }, [runView, session, state.revision, selected, isText, prefs.layout, wrap, pretty]);

  // The reducer asks for scrolls; the diff does them once it has drawn the new state.
  useEffect(() => {
    const to = state.scroll;
    if (to) requestAnimationFrame(() => diff.current?.scrollToRow(to.row));
  }, [state.scroll]);

  const onPainted = useCallback(() => {
    if (!timing.current) return;
    timing.current = false;
    performance.clearMarks(MARK_PAINTED);
    performance.mark(MARK_PAINTED);
    performance.clearMeasures(MEASURE_FIRST_DIFF);
    performance.measure(MEASURE_FIRST_DIFF, MARK_OPEN, MARK_PAINTED);
  }, []);

  // After a fetch from AMO: the newest two fetched versions (older → newer) open at once; a
  // single one opens as the newer side against another cached version of the add-on, if any.
  const readAddons = addons.run;
  const fetched = useCallback(
    (report: FetchReport): Promise<string | null> => {
      const ids = importedIds(report);
      const label = (id: number) => {
        for (const v of report.versions) {
          if (v.outcome.outcome === "imported" && v.outcome.version_id === id) return v.outcome.label;
        }
        return `version ${id}`;
      };
      const skipped = report.versions.length - ids.length;
      dispatch({
        type: "fetched",
        text: `${report.addon.name}: ${ids.length} of ${report.versions.length} versions cached${skipped > 0 ? `, ${skipped} skipped` : ""}`,
      });
      // The review needs the room: both forms fold away (the outcome stays a click away).
      const openFetched = (oldId: number, newId: number) => {
        dispatch({ type: "fold", panel: "import", open: false });
        dispatch({ type: "fold", panel: "amo", open: false });
        open(oldId, newId, prefs.whitespace);
      };
      return readAddons(() => commands.cachedAddons()).then((r) => {
        if (r.status !== "ok") return null;
        const [newest, older] = ids;
        if (newest === undefined) return "No version of this add-on could be cached: the reasons are listed above.";
        if (older !== undefined) {
          openFetched(older, newest);
          return `Opened the newest two in the review: ${label(older)} → ${label(newest)}.`;
        }
        const versions = r.data.find((a) => a.versions.some((v) => v.id === newest))?.versions ?? [];
        const others = versions.filter((v) => v.id !== newest);
        const at = versions.findIndex((v) => v.id === newest);
        const base = (at > 0 ? versions[at - 1] : undefined) ?? others[others.length - 1];
        if (base) {
          openFetched(base.id, newest);
          return `Only ${label(newest)} was fetched: opened as the newer side, compared with the cached ${base.label}.`;
        }
        return `Only ${label(newest)} was fetched, and the review compares two versions: fetch or import another version of this add-on to compare it with.`;
      });
    },
    [open, prefs.whitespace, readAddons],
  );
  const focusAmo = useCallback(() => {
    if (amoDetails.current) amoDetails.current.open = true;
    dispatch({ type: "fold", panel: "amo", open: true });
    amoInput.current?.focus();
    requestAnimationFrame(() => amoInput.current?.focus());
  }, []);

  // A line of the newer version asked for by a note: shown in the diff, its file joining the list.
  const reveal = (path: string, line: number) => {
    const asked = session;
    void revealing.run(() => commands.revealLine(path, line, { layout: prefs.layout, wrap, pretty })).then((r) => {
      if (r.status === "ok") dispatch({ type: "land", session: asked, target: r.data, line });
      else if (r.status === "error") dispatch({ type: "file-error", message: r.error.message });
    });
  };

  const toggleViewed = () => {
    if (!file || selected === null) return;
    const viewed = !file.viewed;
    const asked = session;
    void marking.run(() => commands.setViewed(selected, viewed)).then((r) => {
      if (r.status === "ok") dispatch({ type: "viewed", session: asked, index: selected, viewed, count: r.data });
      else if (r.status === "error") dispatch({ type: "file-error", message: r.error.message });
    });
  };

  const runSearch = () => {
    if (selected === null || !layout) return;
    const { query } = state;
    const asked = session;
    if (query === "") {
      dispatch({ type: "found", session: asked, index: selected, query, rows: [] });
      return;
    }
    void finding.run(() => commands.findInFile(selected, query)).then((r) => {
      if (r.status === "ok") dispatch({ type: "found", session: asked, index: selected, query, rows: r.data });
      else if (r.status === "error") dispatch({ type: "file-error", message: r.error.message });
    });
  };

  // The review's keys, active while this view is open and no text field has focus.
  const onKey = useEffectEvent((e: KeyboardEvent) => {
    if (!active || help || typing(e)) return;
    const b = bindingFor("review", e);
    // Help and "Open from AMO" work before any review is open.
    if (!b || !(summary || b.always)) return;
    e.preventDefault();
    const actions: Record<ReviewCommand, () => void> = {
      "next-file": () => dispatch({ type: "step-file", delta: 1, order }),
      "previous-file": () => dispatch({ type: "step-file", delta: -1, order }),
      "next-change": () => dispatch({ type: "step-change", delta: 1 }),
      "previous-change": () => dispatch({ type: "step-change", delta: -1 }),
      "toggle-viewed": toggleViewed,
      find: () => search.current?.focus(),
      help: () => dispatch({ type: "help", open: true }),
      unified: () => setPrefs({ layout: "unified" }),
      split: () => setPrefs({ layout: "split" }),
      wrap: () => setPrefs({ wrap: !prefs.wrap }),
      "next-signal": () => dispatch({ type: "step-signal", delta: 1, order }),
      "previous-signal": () => dispatch({ type: "step-signal", delta: -1, order }),
      pretty: () => dispatch({ type: "toggle-pretty" }),
      amo: focusAmo,
    };
    actions[b.does]();
  });
  useEffect(() => {
    const listener = (e: KeyboardEvent) => onKey(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  const { hits, hit, change, signalAt, landed, query } = state;
  const hitSet = useMemo(() => new Set(hits), [hits]);
  const rowSignals = useMemo(
    () => signalsByRow(layout?.signals ?? [], summary?.signals ?? []),
    [layout, summary],
  );
  const currentRow =
    hit >= 0
      ? (hits[hit] ?? null)
      : signalAt >= 0 && layout
        ? (layout.signals[signalAt]?.row ?? null)
        : change >= 0 && layout
          ? (layout.changes[change] ?? null)
          : null;
  const addonList = addons.data;
  const busy = state.opening !== null;
  const onWrapWidth = useCallback((cols: number) => dispatch({ type: "wrap-width", cols }), []);
  return (
    <ViewFrame id="review" title="Review" active={active}>
      {/* Opening packages is a tool of the review, not its subject: one line of commands, each
          unfolding below it, open by themselves only while the cache is empty. */}
      <div className="review-tools" role="group" aria-label="Open packages">
        <details
          className="import-details"
          open={state.importOpen ?? (addonList !== null && addonList.length === 0)}
          onToggle={(e) => dispatch({ type: "fold", panel: "import", open: e.currentTarget.open })}
        >
          <summary>Import a package from disk… (XPI, CRX, .tgz)</summary>
          <ImportPanel onImported={addons.reload} />
        </details>
        <details
          ref={amoDetails}
          className="amo-details import-details"
          open={state.amoOpen ?? (addonList !== null && addonList.length === 0)}
          onToggle={(e) => dispatch({ type: "fold", panel: "amo", open: e.currentTarget.open })}
        >
          <summary data-testid="amo-toggle" title="Paste an add-on page URL, slug, guid or id">
            Open from AMO… <kbd>o</kbd>
            {state.lastFetch && <span data-testid="amo-last"> · last fetch: {state.lastFetch}</span>}
          </summary>
          <AmoFetchPanel onFetched={fetched} inputRef={amoInput} />
        </details>
        <details ref={linkDetails} className="import-details" data-testid="link-details">
          <summary>Open a link…</summary>
          <OpenLinkPanel
            onLaunchLink={() => {
              if (linkDetails.current) linkDetails.current.open = true;
              navigate({ view: "review" });
            }}
            onOpen={(t) =>
              open(t.old, t.new, prefs.whitespace, { at: t.path ? { path: t.path, line: t.line ?? 1 } : undefined })
            }
          />
        </details>
      </div>
      {addons.error && (
        <p role="alert" className="error">
          Could not list the cache: {addons.error.message}
        </p>
      )}
      {addonList !== null && addonList.length === 0 && (
        <EmptyState title="No add-on open">
          Import two versions of an add-on above, open one from AMO (o), or sync a queue, then compare them here file by file (j/k files,
          n/p changes, v viewed, ? all keys).
        </EmptyState>
      )}
      {addonList !== null && addonList.length > 0 && (
        <VersionPicker
          addons={addonList}
          busy={busy}
          current={pair}
          onOpen={(a, b) => open(a, b, prefs.whitespace)}
        />
      )}
      {state.openError && (
        <p role="alert" className="error" data-testid="open-error">
          {state.openError}
        </p>
      )}
      {summary && (
        <div className="review" data-testid="review">
          <header className="review-head">
            <h2 className="review-title" data-testid="review-title">
              {summary.new.name}: {summary.old.label} → {summary.new.label}
            </h2>
            <SourceNotes versions={[summary.old, summary.new]} />
            <PinButton versions={[summary.old.id, summary.new.id]} />
            <DecisionLauncher
              cachedVersionId={pair?.[1] ?? null}
              remoteVersionId={remoteVersionId}
              active={active && !help}
              unviewed={Math.max(0, changedFiles - summary.viewed)}
              onDecided={decided}
            />
            {decidedNote && (
              <p
                role="status"
                className="decided-note"
                data-testid="review-decided-note"
                data-state={decidedNote.state}
                data-count={decidedNote.count}
              >
                {decidedNote.text}
              </p>
            )}
            {entry && (
              <EntryContext
                entry={entry}
                decided={queue.decided.get(entry.version_id) ?? null}
                vocabulary={vocabulary}
                now={queue.now}
                others={othersHere}
              />
            )}
            <p className="review-counts" data-testid="review-counts">
              {changedFiles} {changedFiles === 1 ? "file" : "files"} changed ({summary.totals.added} added, {summary.totals.modified} modified,{" "}
              {summary.totals.deleted} deleted, {summary.totals.renamed} renamed),{" "}
              <span className="plus">+{summary.totals.lines_added}</span>{" "}
              <span className="minus">−{summary.totals.lines_removed}</span> lines
              {summary.pending > 0 && (
                <span className="muted" data-testid="counting">
                  {" "}
                  (counting lines, {summary.pending} {summary.pending === 1 ? "file" : "files"} to go)
                </span>
              )}
              {summary.signals.length > 0 && (
                <span data-testid="signal-total">
                  {" "}
                  · {summary.signals.length} {summary.signals.length === 1 ? "signal" : "signals"}
                </span>
              )}{" "}
              ·{" "}
              <span data-testid="viewed-progress">
                {summary.viewed} of {changedFiles} viewed
              </span>
            </p>
            <progress
              className="viewed-bar"
              aria-label="Files viewed"
              max={Math.max(1, summary.files.length)}
              value={summary.viewed}
            />
            {pair && <CapabilityPanel pair={pair} onJump={reveal} />}
            <PermissionSummary changes={summary.permissions} />
          </header>
          <div className="review-body">
            <nav className="review-files" aria-label="Files">
              <FileTree rows={tree} selected={selected} onSelect={(index) => dispatch({ type: "select", index })} signals={signalCountMap} />
            </nav>
            <section className="review-diff" aria-label="File diff">
              {file && (
                <div className="diff-toolbar" role="toolbar" aria-label="Diff options">
                  <span className="diff-path" data-testid="diff-path">
                    {file.change.old_path ? (
                      <>
                        <Visible text={file.change.old_path} />
                        {" → "}
                      </>
                    ) : (
                      ""
                    )}
                    <Visible text={file.change.path} />
                  </span>
                  {pair && selected !== null && file.change.status !== "deleted" && (
                    <LinkButtons version={pair[1]} path={file.change.path} index={selected} row={currentRow} />
                  )}
                  <label className="check">
                    <input
                      type="checkbox"
                      data-testid="viewed-toggle"
                      checked={file.viewed}
                      onChange={toggleViewed}
                    />
                    Viewed
                  </label>
                  <select
                    aria-label="Layout"
                    data-testid="layout-select"
                    value={prefs.layout}
                    onChange={(e) => setPrefs({ layout: e.target.value === "split" ? "split" : "unified" })}
                  >
                    <option value="unified">Unified</option>
                    <option value="split">Side by side</option>
                  </select>
                  <select
                    aria-label="Whitespace"
                    data-testid="whitespace-select"
                    value={prefs.whitespace}
                    onChange={(e) => {
                      const ws = e.target.value as Whitespace;
                      setPrefs({ whitespace: ws });
                      if (pair) open(pair[0], pair[1], ws, { keepPath: file.change.path, remoteVersionId });
                    }}
                  >
                    {(Object.keys(WHITESPACE_LABELS) as Whitespace[]).map((w) => (
                      <option key={w} value={w}>
                        {WHITESPACE_LABELS[w]}
                      </option>
                    ))}
                  </select>
                  <label className="check">
                    <input
                      type="checkbox"
                      data-testid="wrap-toggle"
                      checked={prefs.wrap}
                      onChange={(e) => setPrefs({ wrap: e.target.checked })}
                    />
                    Wrap lines
                  </label>
                  <form
                    className="find"
                    role="search"
                    onSubmit={(e) => {
                      e.preventDefault();
                      if (hits.length > 0) dispatch({ type: "step-hit", delta: 1 });
                      else runSearch();
                    }}
                  >
                    <input
                      ref={search}
                      type="search"
                      aria-label="Search in file"
                      data-testid="find-input"
                      placeholder="Search in file (/)"
                      value={query}
                      onChange={(e) => dispatch({ type: "query", text: e.target.value })}
                      onKeyDown={(e) => {
                        if (bindingFor("find", e.nativeEvent)?.does === "leave") {
                          e.preventDefault();
                          diff.current?.element()?.focus();
                        }
                      }}
                    />
                    <span className="find-count" data-testid="find-count" aria-live="polite">
                      {hits.length > 0 ? `${hit + 1} of ${hits.length}` : query && hit === -1 ? "" : ""}
                    </span>
                  </form>
                  {layout && (
                    <span className="muted" data-testid="change-position">
                      {layout.changes.length === 0
                        ? "no changes"
                        : `change ${Math.max(0, change) + 1} of ${layout.changes.length}`}{" "}
                      · {layout.syntax}
                    </span>
                  )}
                  <button
                    type="button"
                    data-testid="pretty-toggle"
                    aria-pressed={pretty}
                    title="Pretty-print minified JavaScript, CSS and JSON (f)"
                    onClick={() => dispatch({ type: "toggle-pretty" })}
                  >
                    Pretty
                  </button>
                  {layout && layout.signals.length > 0 && (
                    <span className="muted" data-testid="signal-position">
                      {signalAt >= 0
                        ? `signal ${signalAt + 1} of ${layout.signals.length}`
                        : `${layout.signals.length} ${layout.signals.length === 1 ? "signal" : "signals"}`}
                    </span>
                  )}
                  {layout && pretty && !layout.pretty && (
                    <span className="muted" data-testid="pretty-unavailable">
                      shown as stored (not JavaScript, CSS or JSON the pretty-printer reads)
                    </span>
                  )}
                  <button type="button" onClick={() => dispatch({ type: "help", open: true })} aria-label="Keyboard shortcuts">
                    ?
                  </button>
                </div>
              )}
              {state.fileError && (
                <p role="alert" className="error" data-testid="file-error">
                  {state.fileError}
                </p>
              )}
              {file && !isText && selected !== null && <BinaryPane index={selected} change={file.change} />}
              {file && isText && layout && selected !== null && layout.index === selected && (
                <DiffView
                  key={selected}
                  ref={diff}
                  index={selected}
                  path={file.change.path}
                  layout={layout}
                  hits={hitSet}
                  current={currentRow ?? (landed?.index === selected ? landed.row : null)}
                  onLayout={(l) => dispatch({ type: "layout", session, layout: l })}
                  onPainted={onPainted}
                  onWrapWidth={onWrapWidth}
                  signals={rowSignals}
                />
              )}
              {summary.files.length === 0 && <p className="muted">These two versions have the same files.</p>}
            </section>
          </div>
          <details
            className="review-audit"
            style={{ flex: "none", maxHeight: "40vh", overflow: "auto" }}
            onToggle={(e) => dispatch({ type: "fold", panel: "audit", open: e.currentTarget.open })}
          >
            <summary data-testid="audit-toggle">Notes, linked add-ons and report</summary>
            {state.auditOpen && file?.change.new_sha256 && (
              <NotesPanel
                versionId={summary.new.id}
                path={file.change.path}
                line={landed?.index === selected ? landed.line : null}
                onGoToLine={(l) => reveal(file.change.path, l)}
              />
            )}
            {state.auditOpen && <LinksPanel guid={summary.new.guid} />}
            {state.auditOpen && pair && <ReportExport key={pair.join("-")} oldId={pair[0]} newId={pair[1]} />}
          </details>
        </div>
      )}
      {help && <KeyHelp scopes={VIEW_SCOPES.review} onClose={() => dispatch({ type: "help", open: false })} />}
    </ViewFrame>
  );
}
