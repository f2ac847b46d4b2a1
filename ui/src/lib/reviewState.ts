// The review view's state and the one pure reducer that changes it. Replies of commands carry
// the session they were asked in, so a reply about an earlier review (or another file) is
// dropped here instead of overwriting the review on screen.
import type { FileCounts } from "../bindings/FileCounts";
import type { FileLayout } from "../bindings/FileLayout";
import type { LineTarget } from "../bindings/LineTarget";
import type { ReviewSummary } from "../bindings/ReviewSummary";
import { buildTree, fileOrder } from "./fileTree";
import { applyCounts, fileWithSignals, sameSignals, signalCounts, stepSignal, withSignalsOf } from "./review";

/** A line the review landed on (from search or a note): its file, display row and line. */
export type Landed = { index: number; row: number; line: number };

/** What to do once the selected file's layout arrives: scroll to a row, or land on a signal. */
export type Landing = { kind: "row"; row: number } | { kind: "signal"; at: "first" | "last" };

/** Everything the review view shows and remembers between renders. */
export type ReviewState = {
  /** The pair under review, however it was opened. */
  pair: [number, number] | null;
  /** The server version the pair's new side was opened as (from a queue entry), else null: a
   * decision names it, since identical files may be several server versions. */
  remoteVersionId: number | null;
  summary: ReviewSummary | null;
  /** Counts the opens; replies tagged with an older session are dropped. */
  session: number;
  /** Bumps whenever the file on screen must be laid out again (a new open, new signals). */
  revision: number;
  /** An open in flight, with the channel messages that came before its summary. */
  opening: { counts: FileCounts[]; signals: ReviewSummary | null } | null;
  openError: string | null;
  selected: number | null;
  layout: FileLayout | null;
  fileError: string | null;
  /** The wrap width that fits the diff, in characters. */
  wrapCols: number;
  /** The current change (n/p), search hit, and signal (a/z) of the file; -1 before the first. */
  change: number;
  query: string;
  hits: number[];
  hit: number;
  signalAt: number;
  pretty: boolean;
  help: boolean;
  /** The import and AMO forms: open by default while the cache is empty (null), then as left. */
  importOpen: boolean | null;
  amoOpen: boolean | null;
  /** The last fetch from AMO in a few words, kept in view when its panel is folded away. */
  lastFetch: string | null;
  auditOpen: boolean;
  landed: Landed | null;
  landing: Landing | null;
  /** The row the diff is asked to scroll to; `seq` makes asking for the same row again new. */
  scroll: { row: number; seq: number } | null;
};

/** Every change to the review's state. */
export type ReviewAction =
  | { type: "open-start" }
  | {
      type: "opened";
      pair: [number, number];
      /** The server version the new side is reviewed as, when the open named one. */
      remoteVersionId?: number | null;
      summary: ReviewSummary;
      /** Keep this file selected when the new summary lists it (a whitespace change). */
      keepPath?: string;
      /** Land on this line once open. */
      target?: { target: LineTarget; line: number };
      /** Why the line asked for could not be shown (the review opened anyway). */
      revealError?: string;
    }
  | { type: "open-failed"; message: string }
  /** Late line counts of the open (or opening) review. */
  | { type: "counts"; batch: FileCounts[] }
  /** A newer summary with new signals; without `session`, of the open (or opening) review. */
  | { type: "signals"; summary: ReviewSummary; session?: number }
  | { type: "select"; index: number | null }
  /** j/k: `order` is the file tree's order of file indices. */
  | { type: "step-file"; delta: 1 | -1; order: readonly number[] }
  | { type: "layout"; session: number; layout: FileLayout }
  | { type: "file-error"; message: string }
  | { type: "step-change"; delta: 1 | -1 }
  | { type: "step-signal"; delta: 1 | -1; order: readonly number[] }
  | { type: "viewed"; session: number; index: number; viewed: boolean; count: number }
  | { type: "query"; text: string }
  | { type: "found"; session: number; index: number; query: string; rows: number[] }
  | { type: "step-hit"; delta: 1 | -1 }
  | { type: "land"; session: number; target: LineTarget; line: number }
  | { type: "wrap-width"; cols: number }
  | { type: "toggle-pretty" }
  | { type: "help"; open: boolean }
  | { type: "fold"; panel: "import" | "amo" | "audit"; open: boolean }
  | { type: "fetched"; text: string };

/** The state before anything is open. */
export const INITIAL_REVIEW: ReviewState = {
  pair: null,
  remoteVersionId: null,
  summary: null,
  session: 0,
  revision: 0,
  opening: null,
  openError: null,
  selected: null,
  layout: null,
  fileError: null,
  wrapCols: 120,
  change: -1,
  query: "",
  hits: [],
  hit: -1,
  signalAt: -1,
  pretty: false,
  help: false,
  importOpen: null,
  amoOpen: null,
  lastFetch: null,
  auditOpen: false,
  landed: null,
  landing: null,
  scroll: null,
};

function scrollTo(s: ReviewState, row: number | undefined): ReviewState["scroll"] {
  return row === undefined ? s.scroll : { row, seq: (s.scroll?.seq ?? 0) + 1 };
}

// A newly selected file starts before its first change, with no search and no landing.
function select(s: ReviewState, index: number | null): ReviewState {
  return { ...s, selected: index, change: -1, hits: [], hit: -1, signalAt: -1, landing: null };
}

// Shows a landed line: its file (appended when unchanged in the pair), its layout, and its row.
function land(s: ReviewState, t: LineTarget, line: number): ReviewState {
  const summary = s.summary && s.summary.files.length <= t.index ? { ...s.summary, files: [...s.summary.files, t.file] } : s.summary;
  const at = select({ ...s, summary }, t.index);
  return { ...at, layout: t.layout, landed: { index: t.index, row: t.row, line }, scroll: scrollTo(s, t.row) };
}

// A layout of the selected file arrived: finish a landing that waited for it.
function withLayout(s: ReviewState, layout: FileLayout): ReviewState {
  const next = { ...s, layout, fileError: null };
  const landing = s.landing;
  if (!landing) return next;
  if (landing.kind === "row") return { ...next, landing: null, scroll: scrollTo(s, landing.row) };
  // A layout made before a rule scan attached its signals has none yet: wait for the relayout
  // that brings them instead of giving up the landing.
  if (layout.signals.length === 0) return next;
  const at = landing.at === "first" ? 0 : layout.signals.length - 1;
  return { ...next, landing: null, signalAt: at, scroll: scrollTo(s, layout.signals[at]?.row) };
}

function withSignals(s: ReviewState, summary: ReviewSummary): ReviewState {
  if (!s.summary || sameSignals(s.summary.signals, summary.signals)) return s;
  return { ...s, summary: withSignalsOf(s.summary, summary), revision: s.revision + 1 };
}

function stepSignalIn(s: ReviewState, delta: 1 | -1, order: readonly number[]): ReviewState {
  const summary = s.summary;
  if (!summary || summary.signals.length === 0) return s;
  const rows = s.layout && s.layout.index === s.selected ? s.layout.signals : [];
  const to = stepSignal(rows, s.signalAt, delta);
  if (typeof to === "number") return { ...s, signalAt: to, scroll: scrollTo(s, rows[to]?.row) };
  const paths = summary.files.map((f) => f.change.path);
  const next = fileWithSignals(order, paths, signalCounts(summary.signals), s.selected, delta);
  if (next === null) return s;
  if (next === s.selected) {
    // The only flagged file: wrap around within it. Its layout may predate the signals (a
    // rule scan that just finished): land on them when the relayout that brings them arrives.
    const at = delta > 0 ? 0 : rows.length - 1;
    const target = rows[at];
    if (target) return { ...s, signalAt: at, scroll: scrollTo(s, target.row) };
    return { ...s, landing: { kind: "signal", at: delta > 0 ? "first" : "last" } };
  }
  return { ...select(s, next), landing: { kind: "signal", at: delta > 0 ? "first" : "last" } };
}

/** The review's state after `a`; pure, so every transition can be tested on its own. */
export function reviewReducer(s: ReviewState, a: ReviewAction): ReviewState {
  switch (a.type) {
    case "open-start":
      return { ...s, opening: { counts: [], signals: null }, openError: null };
    case "opened": {
      const early = s.opening;
      const counted = applyCounts(a.summary, early?.counts ?? []);
      const summary = early?.signals ? withSignalsOf(counted, early.signals) : counted;
      const opened: ReviewState = {
        ...s,
        pair: a.pair,
        remoteVersionId: a.remoteVersionId ?? null,
        summary,
        session: s.session + 1,
        revision: s.revision + 1,
        opening: null,
        openError: a.revealError ?? null,
        layout: null,
        fileError: null,
        landed: null,
      };
      if (a.target) return land(opened, a.target.target, a.target.line);
      const keep = a.keepPath ? summary.files.findIndex((f) => f.change.path === a.keepPath) : -1;
      return select(opened, keep >= 0 ? keep : (fileOrder(buildTree(summary.files))[0] ?? null));
    }
    case "open-failed":
      return { ...s, opening: null, openError: a.message };
    case "counts":
      if (s.opening) return { ...s, opening: { ...s.opening, counts: [...s.opening.counts, ...a.batch] } };
      return s.summary ? { ...s, summary: applyCounts(s.summary, a.batch) } : s;
    case "signals":
      if (a.session !== undefined) return a.session === s.session ? withSignals(s, a.summary) : s;
      if (s.opening) return { ...s, opening: { ...s.opening, signals: a.summary } };
      return withSignals(s, a.summary);
    case "select":
      return select(s, a.index);
    case "step-file": {
      if (a.order.length === 0) return s;
      const at = s.selected === null ? -1 : a.order.indexOf(s.selected);
      const next = a.order[Math.min(a.order.length - 1, Math.max(0, at + a.delta))];
      return next === undefined || next === s.selected ? s : select(s, next);
    }
    case "layout":
      if (a.session !== s.session || a.layout.index !== s.selected) return s;
      return withLayout(s, a.layout);
    case "file-error":
      return { ...s, fileError: a.message };
    case "step-change": {
      const changes = s.layout?.changes ?? [];
      if (changes.length === 0) return s;
      const change = Math.min(changes.length - 1, Math.max(0, s.change + a.delta));
      return { ...s, change, scroll: scrollTo(s, changes[change]) };
    }
    case "step-signal":
      return stepSignalIn(s, a.delta, a.order);
    case "viewed": {
      if (a.session !== s.session || !s.summary) return s;
      const files = s.summary.files.map((f, i) => (i === a.index ? { ...f, viewed: a.viewed } : f));
      return { ...s, summary: { ...s.summary, viewed: a.count, files } };
    }
    case "query":
      return { ...s, query: a.text, hits: [], hit: -1 };
    case "found":
      if (a.session !== s.session || a.index !== s.selected || a.query !== s.query) return s;
      return { ...s, hits: a.rows, hit: a.rows.length > 0 ? 0 : -1, scroll: scrollTo(s, a.rows[0]) };
    case "step-hit": {
      if (s.hits.length === 0) return s;
      const hit = (s.hit + a.delta + s.hits.length) % s.hits.length;
      return { ...s, hit, scroll: scrollTo(s, s.hits[hit]) };
    }
    case "land":
      return a.session === s.session ? land(s, a.target, a.line) : s;
    case "wrap-width":
      return a.cols === s.wrapCols ? s : { ...s, wrapCols: a.cols };
    case "toggle-pretty":
      return { ...s, pretty: !s.pretty };
    case "help":
      return { ...s, help: a.open };
    case "fold":
      if (a.panel === "import") return { ...s, importOpen: a.open };
      if (a.panel === "amo") return { ...s, amoOpen: a.open };
      return { ...s, auditOpen: a.open };
    case "fetched":
      return { ...s, lastFetch: a.text };
  }
}
