import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { AddonVersions } from "../bindings/AddonVersions";
import type { FetchReport } from "../bindings/FetchReport";
import type { FileCounts } from "../bindings/FileCounts";
import type { FileLayout } from "../bindings/FileLayout";
import type { LineTarget } from "../bindings/LineTarget";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import type { UiError } from "../bindings/UiError";
import type { VersionInfo } from "../bindings/VersionInfo";
import type { Whitespace } from "../bindings/Whitespace";
import { AmoFetchPanel, importedIds } from "../components/AmoFetchPanel";
import { BinaryPane } from "../components/BinaryPane";
import { DecisionLauncher } from "../components/DecisionLauncher";
import { DiffView, type DiffHandle } from "../components/DiffView";
import { EmptyState } from "../components/EmptyState";
import { FileTree } from "../components/FileTree";
import { ImportPanel } from "../components/ImportPanel";
import { KeyHelp } from "../components/KeyHelp";
import { LinksPanel } from "../components/LinksPanel";
import { NotesPanel } from "../components/NotesPanel";
import { ReportExport } from "../components/ReportExport";
import { PermissionSummary } from "../components/PermissionSummary";
import { ViewFrame } from "../components/ViewFrame";
import { usePrefs } from "../hooks/usePrefs";
import { commands, toUiError } from "../ipc";
import { buildTree, fileOrder } from "../lib/fileTree";
import {
  applyCounts,
  fileWithSignals,
  sameSignals,
  signalCounts,
  signalsByRow,
  stepSignal,
  withSignalsOf,
} from "../lib/review";
import { bindingFor, type ReviewCommand, typing } from "../lib/keys";
import { useReviewRequests, type OpenRequest } from "../lib/navigation";

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
  const [addons, setAddons] = useState<AddonVersions[] | null>(null);
  const [listError, setListError] = useState<UiError | null>(null);
  const [summary, setSummary] = useState<ReviewSummary | null>(null);
  const summaryRef = useRef(summary);
  useEffect(() => {
    summaryRef.current = summary;
  }, [summary]);
  const [pair, setPair] = useState<[number, number] | null>(null);
  const [busy, setBusy] = useState(false);
  const [openError, setOpenError] = useState<string | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [layout, setLayout] = useState<FileLayout | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [wrapCols, setWrapCols] = useState(120);
  const [change, setChange] = useState<number>(-1);
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<number[]>([]);
  const [hit, setHit] = useState(-1);
  const [help, setHelp] = useState(false);
  // Open by default while the cache is empty; after that, as the reviewer left it.
  const [importOpen, setImportOpen] = useState<boolean | null>(null);
  const [amoOpen, setAmoOpen] = useState<boolean | null>(null);
  // The last fetch from AMO in a few words, kept in view when its panel is folded away.
  const [lastFetch, setLastFetch] = useState<string | null>(null);
  const amoDetails = useRef<HTMLDetailsElement>(null);
  const amoInput = useRef<HTMLInputElement>(null);
  // Identifies the open session: a new one means file views must be fetched again.
  const [sessionKey, setSessionKey] = useState(0);
  const diff = useRef<DiffHandle>(null);
  const search = useRef<HTMLInputElement>(null);
  const openMarked = useRef(false);
  // Pretty-printing of minified files, and the signal the reviewer is on (a/z).
  const [pretty, setPretty] = useState(false);
  const [signalAt, setSignalAt] = useState(-1);
  const signalLand = useRef<"first" | "last" | null>(null);
  // Line counts arrive after the summary; only those of the latest open are taken.
  const countsToken = useRef(0);
  const countsFor = useCallback(() => {
    const token = ++countsToken.current;
    const early: FileCounts[] = [];
    let earlySummary: ReviewSummary | null = null;
    let ready = false;
    return {
      onCounts: (batch: FileCounts[]) => {
        if (token !== countsToken.current) return;
        if (!ready) early.push(...batch);
        else setSummary((s) => (s ? applyCounts(s, batch) : s));
      },
      // The local rules' matches arrive after the open; the file on screen is laid out again.
      onSignals: (next: ReviewSummary) => {
        if (token !== countsToken.current) return;
        if (!ready) {
          earlySummary = next;
          return;
        }
        setSummary((s) => (s ? withSignalsOf(s, next) : s));
        setSessionKey((k) => k + 1);
      },
      ready: (s: ReviewSummary) => {
        ready = true;
        const counted = applyCounts(s, early);
        return earlySummary ? withSignalsOf(counted, earlySummary) : counted;
      },
    };
  }, []);
  // Landing on a line (from search or a note): where it is, and the row still to scroll to.
  const [landed, setLanded] = useState<{ index: number; row: number; line: number } | null>(null);
  const landRow = useRef<number | null>(null);
  const [auditOpen, setAuditOpen] = useState(false);

  const loadAddons = useCallback(() => {
    commands.cachedAddons().then(
      (list) => {
        setAddons(list);
        setListError(null);
      },
      (err: unknown) => setListError(toUiError(err)),
    );
  }, []);
  // Read the cache each time the view is shown: a sync or import may have added versions.
  useEffect(() => {
    if (active) loadAddons();
  }, [active, loadAddons]);
  // A rules scan run from Settings while away changes the open review's signals.
  const hasReview = summary !== null;
  useEffect(() => {
    if (!active || !hasReview) return;
    const token = countsToken.current;
    commands.reviewSummary().then(
      (next) => {
        const shown = summaryRef.current;
        if (token !== countsToken.current || !shown || sameSignals(shown.signals, next.signals)) return;
        setSummary((s) => (s ? withSignalsOf(s, next) : s));
        setSessionKey((k) => k + 1);
      },
      // No review on the Rust side (a failed open): the view shows its own error already.
      () => {},
    );
  }, [active, hasReview]);

  const tree = useMemo(() => (summary ? buildTree(summary.files) : []), [summary]);
  // Files listed only because a signal or a search hit points into them are not changes.
  const changedFiles = useMemo(
    () => (summary ? summary.files.filter((f) => f.change.status !== "unchanged").length : 0),
    [summary],
  );
  const order = useMemo(() => fileOrder(tree), [tree]);

  // A new file starts before its first change, with no search.
  const select = useCallback((index: number | null) => {
    setSelected(index);
    setChange(-1);
    setHits([]);
    setHit(-1);
    setSignalAt(-1);
  }, []);

  const open = useCallback(
    (oldId: number, newId: number, whitespace: Whitespace, keepPath?: string) => {
      performance.clearMarks(MARK_OPEN);
      performance.mark(MARK_OPEN);
      openMarked.current = true;
      setBusy(true);
      setOpenError(null);
      const counts = countsFor();
      commands.openReview(oldId, newId, whitespace, counts.onCounts, counts.onSignals).then(
        (opened) => {
          performance.clearMarks(MARK_SUMMARY);
          performance.mark(MARK_SUMMARY);
          const s = counts.ready(opened);
          setBusy(false);
          setPair([oldId, newId]);
          setSummary(s);
          setLayout(null);
          setSessionKey((k) => k + 1);
          const t = fileOrder(buildTree(s.files));
          const keep = keepPath ? s.files.findIndex((f) => f.change.path === keepPath) : -1;
          select(keep >= 0 ? keep : (t[0] ?? null));
        },
        (err: unknown) => {
          setBusy(false);
          setOpenError(toUiError(err).message);
        },
      );
    },
    [select, countsFor],
  );

  // After a fetch from AMO: the newest two fetched versions (older → newer) open at once; a
  // single one opens as the newer side against another cached version of the add-on, if any.
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
      setLastFetch(
        `${report.addon.name}: ${ids.length} of ${report.versions.length} versions cached${skipped > 0 ? `, ${skipped} skipped` : ""}`,
      );
      // The review needs the room: both forms fold away (the outcome stays a click away).
      const openFetched = (oldId: number, newId: number) => {
        setImportOpen(false);
        setAmoOpen(false);
        open(oldId, newId, prefs.whitespace);
      };
      return commands.cachedAddons().then((list) => {
        setAddons(list);
        setListError(null);
        const [newest, older] = ids;
        if (newest === undefined) return "No version of this add-on could be cached: the reasons are listed above.";
        if (older !== undefined) {
          openFetched(older, newest);
          return `Opened the newest two in the review: ${label(older)} → ${label(newest)}.`;
        }
        const versions = list.find((a) => a.versions.some((v) => v.id === newest))?.versions ?? [];
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
    [open, prefs.whitespace],
  );
  const focusAmo = useCallback(() => {
    if (amoDetails.current) amoDetails.current.open = true;
    setAmoOpen(true);
    amoInput.current?.focus();
    requestAnimationFrame(() => amoInput.current?.focus());
  }, []);

  const file = summary && selected !== null ? summary.files[selected] : undefined;
  const isText = file?.change.kind === "text";
  const wrap = prefs.wrap ? wrapCols : null;

  // Shows a landed line: its file (appended when unchanged in the pair), expanded layout, row.
  const land = useCallback(
    (t: LineTarget, line: number) => {
      setSummary((s) => (s && s.files.length <= t.index ? { ...s, files: [...s.files, t.file] } : s));
      select(t.index);
      setLayout(t.layout);
      setLanded({ index: t.index, row: t.row, line });
      landRow.current = t.row;
    },
    [select],
  );
  const reveal = useCallback(
    (path: string, line: number) =>
      commands.revealLine(path, line, { layout: prefs.layout, wrap, pretty }).then(
        (t) => land(t, line),
        (err: unknown) => setFileError(toUiError(err).message),
      ),
    [land, prefs.layout, wrap, pretty],
  );
  // A pair asked for by another view (a queue entry, a search hit): open it, and land on its
  // line when it names one.
  const onRequest = useCallback((request: OpenRequest) => {
    const at = request.at;
    if (!at) {
      open(request.old, request.next, prefs.whitespace);
      return;
    }
    const jumpCounts = countsFor();
    commands
      .openReview(request.old, request.next, prefs.whitespace, jumpCounts.onCounts, jumpCounts.onSignals)
      .then((opened) => {
        const s = jumpCounts.ready(opened);
        setOpenError(null);
        setPair([request.old, request.next]);
        setSummary(s);
        setLayout(null);
        setSessionKey((k) => k + 1);
        return commands.revealLine(at.path, at.line, { layout: prefs.layout, wrap, pretty });
      })
      .then(
        (t) => {
          land(t, at.line);
        },
        (err: unknown) => setOpenError(toUiError(err).message),
      );
  }, [open, prefs.whitespace, prefs.layout, wrap, pretty, land, countsFor]);
  useReviewRequests(onRequest);
  useEffect(() => {
    const row = landRow.current;
    if (row === null || !layout || layout.index !== selected) return;
    landRow.current = null;
    requestAnimationFrame(() => diff.current?.scrollToRow(row));
  }, [layout, selected]);
  // After a/z moved to another file: land on its first (or last) signal once it is laid out.
  useEffect(() => {
    const where = signalLand.current;
    if (where === null || !layout || layout.index !== selected) return;
    // A layout made before a rule scan attached its signals has none yet: wait for the
    // relayout that brings them instead of giving up the landing.
    if (layout.signals.length === 0) return;
    signalLand.current = null;
    const at = where === "first" ? 0 : layout.signals.length - 1;
    const target = layout.signals[at];
    if (target === undefined) return;
    setSignalAt(at);
    requestAnimationFrame(() => diff.current?.scrollToRow(target.row));
  }, [layout, selected]);

  // Open (or relayout) the selected text file.
  useEffect(() => {
    if (selected === null || !isText) return;
    let live = true;
    commands.viewFile(selected, { layout: prefs.layout, wrap, pretty }).then(
      (l) => {
        if (!live) return;
        if (openMarked.current) {
          performance.clearMarks(MARK_LAYOUT);
          performance.mark(MARK_LAYOUT);
        }
        setLayout(l);
        setFileError(null);
      },
      (err: unknown) => live && setFileError(toUiError(err).message),
    );
    return () => {
      live = false;
    };
  }, [sessionKey, selected, isText, prefs.layout, wrap, pretty]);

  const onPainted = useCallback(() => {
    if (!openMarked.current) return;
    openMarked.current = false;
    performance.clearMarks(MARK_PAINTED);
    performance.mark(MARK_PAINTED);
    performance.clearMeasures(MEASURE_FIRST_DIFF);
    performance.measure(MEASURE_FIRST_DIFF, MARK_OPEN, MARK_PAINTED);
  }, []);

  const step = useCallback(
    (delta: number) => {
      if (order.length === 0) return;
      const at = selected === null ? -1 : order.indexOf(selected);
      const next = order[Math.min(order.length - 1, Math.max(0, at + delta))];
      if (next !== undefined) select(next);
    },
    [order, selected, select],
  );

  const goChange = useCallback(
    (delta: number) => {
      if (!layout || layout.changes.length === 0) return;
      const next = Math.min(layout.changes.length - 1, Math.max(0, change + delta));
      setChange(next);
      const row = layout.changes[next];
      if (row !== undefined) diff.current?.scrollToRow(row);
    },
    [layout, change],
  );

  const signalCountMap = useMemo(() => signalCounts(summary?.signals ?? []), [summary]);
  const goSignal = useCallback(
    (delta: 1 | -1) => {
      if (!summary || summary.signals.length === 0) return;
      const rows = layout && layout.index === selected ? layout.signals : [];
      const to = stepSignal(rows, signalAt, delta);
      if (typeof to === "number") {
        setSignalAt(to);
        const target = rows[to];
        if (target) diff.current?.scrollToRow(target.row);
        return;
      }
      const paths = summary.files.map((f) => f.change.path);
      const next = fileWithSignals(order, paths, signalCountMap, selected, delta);
      if (next === null) return;
      if (next === selected) {
        // The only flagged file: wrap around within it.
        const at = delta > 0 ? 0 : rows.length - 1;
        const target = rows[at];
        if (target) {
          setSignalAt(at);
          diff.current?.scrollToRow(target.row);
        }
        return;
      }
      signalLand.current = delta > 0 ? "first" : "last";
      select(next);
    },
    [summary, layout, selected, signalAt, order, signalCountMap, select],
  );

  const toggleViewed = useCallback(() => {
    if (!summary || selected === null) return;
    const target = summary.files[selected];
    if (!target) return;
    const viewed = !target.viewed;
    commands.setViewed(selected, viewed).then(
      (count) =>
        setSummary((s) =>
          s
            ? {
                ...s,
                viewed: count,
                files: s.files.map((f, i) => (i === selected ? { ...f, viewed } : f)),
              }
            : s,
        ),
      (err: unknown) => setFileError(toUiError(err).message),
    );
  }, [summary, selected]);

  const runSearch = useCallback(() => {
    if (selected === null || !layout) return;
    if (query === "") {
      setHits([]);
      setHit(-1);
      return;
    }
    commands.findInFile(selected, query).then(
      (rows) => {
        setHits(rows);
        const first = rows.length > 0 ? 0 : -1;
        setHit(first);
        const row = rows[0];
        if (row !== undefined) diff.current?.scrollToRow(row);
      },
      (err: unknown) => setFileError(toUiError(err).message),
    );
  }, [selected, layout, query]);

  const nextHit = useCallback(
    (delta: number) => {
      if (hits.length === 0) return;
      const n = (hit + delta + hits.length) % hits.length;
      setHit(n);
      const row = hits[n];
      if (row !== undefined) diff.current?.scrollToRow(row);
    },
    [hits, hit],
  );

  // The review's keys, active while this view is open and no text field has focus.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!active || help || typing(e)) return;
      const b = bindingFor("review", e);
      // Help and "Open from AMO" work before any review is open.
      if (!b || !(summary || b.always)) return;
      e.preventDefault();
      const actions: Record<ReviewCommand, () => void> = {
        "next-file": () => step(1),
        "previous-file": () => step(-1),
        "next-change": () => goChange(1),
        "previous-change": () => goChange(-1),
        "toggle-viewed": toggleViewed,
        find: () => search.current?.focus(),
        help: () => setHelp(true),
        unified: () => setPrefs({ layout: "unified" }),
        split: () => setPrefs({ layout: "split" }),
        wrap: () => setPrefs({ wrap: !prefs.wrap }),
        "next-signal": () => goSignal(1),
        "previous-signal": () => goSignal(-1),
        pretty: () => setPretty((x) => !x),
        amo: focusAmo,
      };
      actions[b.does]();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [active, help, step, goChange, goSignal, toggleViewed, setPrefs, prefs.wrap, summary, focusAmo]);

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

  return (
    <ViewFrame id="review" title="Review" active={active}>
      <details
        className="import-details"
        open={importOpen ?? (addons !== null && addons.length === 0)}
        onToggle={(e) => setImportOpen(e.currentTarget.open)}
      >
        <summary>Import a package from disk (XPI, CRX, .tgz)</summary>
        <ImportPanel onImported={loadAddons} />
      </details>
      <details
        ref={amoDetails}
        className="amo-details import-details"
        open={amoOpen ?? (addons !== null && addons.length === 0)}
        onToggle={(e) => setAmoOpen(e.currentTarget.open)}
      >
        <summary data-testid="amo-toggle">
          Open from AMO… (paste an add-on page URL, slug, guid or id; key o)
          {lastFetch && <span data-testid="amo-last"> · last fetch: {lastFetch}</span>}
        </summary>
        <AmoFetchPanel onFetched={fetched} inputRef={amoInput} />
      </details>
      {listError && (
        <p role="alert" className="error">
          Could not list the cache: {listError.message}
        </p>
      )}
      {addons !== null && addons.length === 0 && (
        <EmptyState title="No add-on open">
          Import two versions of an add-on above, open one from AMO (o), or sync a queue, then compare them here file by file (j/k files,
          n/p changes, v viewed, ? all keys).
        </EmptyState>
      )}
      {addons !== null && addons.length > 0 && (
        <VersionPicker
          addons={addons}
          busy={busy}
          current={pair}
          onOpen={(a, b) => open(a, b, prefs.whitespace)}
        />
      )}
      {openError && (
        <p role="alert" className="error" data-testid="open-error">
          {openError}
        </p>
      )}
      {summary && (
        <div className="review" data-testid="review">
          <header className="review-head">
            <h2 className="review-title" data-testid="review-title">
              {summary.new.name}: {summary.old.label} → {summary.new.label}
            </h2>
            <SourceNotes versions={[summary.old, summary.new]} />
            <DecisionLauncher cachedVersionId={pair?.[1] ?? null} active={active && !help} />
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
            <PermissionSummary changes={summary.permissions} />
          </header>
          <div className="review-body">
            <nav className="review-files" aria-label="Files">
              <FileTree rows={tree} selected={selected} onSelect={select} signals={signalCountMap} />
            </nav>
            <section className="review-diff" aria-label="File diff">
              {file && (
                <div className="diff-toolbar" role="toolbar" aria-label="Diff options">
                  <span className="diff-path" data-testid="diff-path">
                    {file.change.old_path ? `${file.change.old_path} → ` : ""}
                    {file.change.path}
                  </span>
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
                      if (pair) open(pair[0], pair[1], ws, file.change.path);
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
                      if (hits.length > 0) nextHit(1);
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
                      onChange={(e) => {
                        setQuery(e.target.value);
                        setHits([]);
                        setHit(-1);
                      }}
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
                    onClick={() => setPretty((x) => !x)}
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
                  <button type="button" onClick={() => setHelp(true)} aria-label="Keyboard shortcuts">
                    ?
                  </button>
                </div>
              )}
              {fileError && (
                <p role="alert" className="error" data-testid="file-error">
                  {fileError}
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
                  onLayout={setLayout}
                  onPainted={onPainted}
                  onWrapWidth={setWrapCols}
                  signals={rowSignals}
                />
              )}
              {summary.files.length === 0 && <p className="muted">These two versions have the same files.</p>}
            </section>
          </div>
          <details
            className="review-audit"
            style={{ flex: "none", maxHeight: "40vh", overflow: "auto" }}
            onToggle={(e) => setAuditOpen(e.currentTarget.open)}
          >
            <summary data-testid="audit-toggle">Notes, linked add-ons and report</summary>
            {auditOpen && file?.change.new_sha256 && (
              <NotesPanel
                versionId={summary.new.id}
                path={file.change.path}
                line={landed?.index === selected ? landed.line : null}
                onGoToLine={(l) => void reveal(file.change.path, l)}
              />
            )}
            {auditOpen && <LinksPanel guid={summary.new.guid} />}
            {auditOpen && pair && <ReportExport key={pair.join("-")} oldId={pair[0]} newId={pair[1]} />}
          </details>
        </div>
      )}
      {help && <KeyHelp onClose={() => setHelp(false)} />}
    </ViewFrame>
  );
}
