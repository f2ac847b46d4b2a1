import { useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type Ref } from "react";
import type { FileLayout } from "../bindings/FileLayout";
import type { ReviewSignal } from "../bindings/ReviewSignal";
import type { ViewCell } from "../bindings/ViewCell";
import type { ViewRow } from "../bindings/ViewRow";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";
import { signalLabel } from "../lib/review";
import { HiddenMark, Visible } from "./Visible";
import { revealText } from "../lib/hidden";

/** Height of one display row in pixels; the CSS gives `.drow` the same height. */
export const ROW_HEIGHT = 20;
/** Width of a line-number gutter in pixels. */
const GUTTER = 56;
/** Rows fetched beyond the visible ones on each side, so small scrolls need no round trip. */
const OVERSCAN_ROWS = 150;
/** Columns fetched beyond the visible ones on each side. */
const OVERSCAN_COLS = 400;
/**
 * The first window of a file carries little beyond the screen, so the first rows paint sooner;
 * the full overscan follows once they are on screen.
 */
const FIRST_OVERSCAN_ROWS = 10;
const FIRST_OVERSCAN_COLS = 40;
/** Characters of context a gap's button reveals per press. */
const EXPAND_STEP = 20;

/** What the parent can ask the diff to do. */
export type DiffHandle = {
  /** Scrolls so that display row `row` is near the top. */
  scrollToRow: (row: number) => void;
  /** The scrolling element, for measurements. */
  element: () => HTMLDivElement | null;
};

type Props = {
  index: number;
  path: string;
  layout: FileLayout;
  /** Rows to mark as search hits. */
  hits: ReadonlySet<number>;
  /** The row of the current change or hit, drawn with a marker. */
  current: number | null;
  /** Called with a new layout after a gap was expanded. */
  onLayout: (layout: FileLayout) => void;
  /** Called once rows of this layout are first on screen (for the performance marks). */
  onPainted?: () => void;
  /** Called with the wrap width (characters) that fits the viewport. */
  onWrapWidth?: (cols: number) => void;
  /** Signals to draw inline, by display row. */
  signals?: ReadonlyMap<number, readonly ReviewSignal[]>;
  ref?: Ref<DiffHandle>;
};

type Window = {
  key: string;
  start: number;
  end: number;
  colStart: number;
  colEnd: number;
  rows: ViewRow[];
  /** Whether it was fetched with the full overscan (not a file's quick first window). */
  full: boolean;
};

/** Measures the width of one character of the monospace font (8 px when layout is unavailable). */
function useCharWidth(): [number, (el: HTMLSpanElement | null) => void] {
  const [width, setWidth] = useState(8);
  const measure = useCallback((el: HTMLSpanElement | null) => {
    if (!el) return;
    const w = el.getBoundingClientRect().width / 100;
    if (w > 0) setWidth(w);
  }, []);
  return [width, measure];
}

/**
 * A virtualized diff: only the rows on screen (plus an overscan) exist in the DOM, and each line
 * carries only the columns on screen, so a 50,000-line file or a 1,000,000-character line costs
 * the same as a short file. Text arrives as spans and becomes text nodes, never markup.
 */
export function DiffView({
  index,
  path,
  layout,
  hits,
  current,
  onLayout,
  onPainted,
  onWrapWidth,
  signals,
  ref,
}: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const [charWidth, measureRef] = useCharWidth();
  const [viewport, setViewport] = useState({ top: 0, left: 0, width: 800, height: 600 });
  const { data: win, error: rowsError, run: runRows } = useCommand<Window>();
  const { error: expandError, run: runExpand } = useCommand<FileLayout>();
  const error = (rowsError ?? expandError)?.message ?? null;
  // The window asked for last and not answered yet, so asking again for the same is skipped.
  const pending = useRef<string | null>(null);
  const painted = useRef(false);
  const split = layout.options.layout === "split";
  const wrap = layout.options.wrap !== null;
  const layoutKey = `${index}:${layout.rows}:${layout.options.layout}:${layout.options.wrap ?? "-"}:${layout.changes.length}:${layout.pretty ? "p" : "-"}`;

  useImperativeHandle(ref, () => ({
    scrollToRow: (row: number) => {
      const el = scroller.current;
      if (el) el.scrollTop = Math.max(0, row * ROW_HEIGHT - el.clientHeight / 3);
    },
    element: () => scroller.current,
  }));

  // Track the viewport: scroll position and size.
  const sync = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    setViewport({
      top: el.scrollTop,
      left: el.scrollLeft,
      width: el.clientWidth || 800,
      height: el.clientHeight || 600,
    });
  }, []);
  useLayoutEffect(() => {
    sync();
    const el = scroller.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(sync);
    ro.observe(el);
    return () => ro.disconnect();
  }, [sync]);

  const panes = split ? 2 : 1;
  const textWidth = Math.max(charWidth * 10, viewport.width / panes - GUTTER * (split ? 1 : 2) - 8);
  const visibleCols = Math.ceil(textWidth / charWidth) + 1;

  useEffect(() => {
    if (wrap && onWrapWidth) onWrapWidth(Math.max(20, Math.floor(textWidth / charWidth)));
  }, [wrap, onWrapWidth, textWidth, charWidth]);

  const firstRow = Math.floor(viewport.top / ROW_HEIGHT);
  const rowCount = Math.ceil(viewport.height / ROW_HEIGHT) + 1;
  const lastRow = Math.min(layout.rows, firstRow + rowCount);
  const firstCol = wrap ? 0 : Math.floor(viewport.left / charWidth);

  // Fetch a window around the viewport whenever the viewport leaves the fetched one (and, after
  // a file's quick first window has been painted, its full overscan).
  useEffect(() => {
    const same = win !== null && win.key === layoutKey;
    const covered =
      same &&
      win.start <= firstRow &&
      win.end >= lastRow &&
      (wrap || (win.colStart <= firstCol && win.colEnd >= firstCol + visibleCols));
    if (covered && win.full) return;
    const full = same;
    const rowPad = full ? OVERSCAN_ROWS : FIRST_OVERSCAN_ROWS;
    const colPad = full ? OVERSCAN_COLS : FIRST_OVERSCAN_COLS;
    const start = Math.max(0, firstRow - rowPad);
    const end = Math.min(layout.rows, lastRow + rowPad);
    const colStart = wrap ? 0 : Math.max(0, firstCol - colPad);
    const colEnd = wrap ? (layout.options.wrap ?? 0) : firstCol + visibleCols + colPad;
    const request = `${layoutKey}/${start}/${end}/${colStart}/${colEnd}`;
    if (pending.current === request) return;
    pending.current = request;
    const fetchRows = () =>
      runRows(() =>
        commands
          .fileRows(index, start, end - start, colStart, colEnd - colStart)
          .then((rows) => ({ key: layoutKey, start, end, colStart, colEnd, rows, full })),
      ).then((reply) => {
        if (reply.status !== "stale" && pending.current === request) pending.current = null;
      });
    if (!covered) {
      void fetchRows();
      return;
    }
    // The screen is already drawn: widen the window after the frame that shows it.
    let frame = requestAnimationFrame(() => {
      frame = 0;
      void fetchRows();
    });
    return () => {
      if (frame) {
        cancelAnimationFrame(frame);
        if (pending.current === request) pending.current = null;
      }
    };
  }, [index, layout, layoutKey, firstRow, lastRow, firstCol, visibleCols, wrap, win, runRows]);

  // Tell the parent once the first rows of this file are on screen.
  useEffect(() => {
    if (!painted.current && win && win.key === layoutKey && onPainted) {
      painted.current = true;
      // After the frame that shows the rows has been painted, not before it.
      requestAnimationFrame(() => setTimeout(onPainted, 0));
    }
  }, [win, layoutKey, onPainted]);

  const expand = (gap: number, lines: number) => {
    void runExpand(() => commands.expandGap(index, gap, lines)).then((r) => r.status === "ok" && onLayout(r.data));
  };

  const rows: ViewRow[] = [];
  if (win && win.key === layoutKey) {
    for (let r = firstRow; r < lastRow; r++) {
      const row = win.rows[r - win.start];
      if (row) rows.push(row);
    }
  }
  const colOffset = win && !wrap ? win.colStart * charWidth - viewport.left : 0;
  const contentWidth = wrap ? viewport.width : Math.max(viewport.width, panes * (GUTTER * 2 + layout.max_cols * charWidth + 16));

  const cellText = (cell: ViewCell | null, side: "old" | "new") => (
    <div className={`dtext ${cell ? cell.kind : "empty"}`} data-side={side}>
      <div className="dtext-inner" style={{ transform: `translateX(${colOffset}px)` }}>
        {cell?.spans.map((s, i) =>
          s.hidden ? (
            // The core sends a hidden character as its marker text, never the character.
            <HiddenMark key={i} marker={s.text} className={s.changed ? "chg" : undefined} />
          ) : (
            <span key={i} className={s.changed ? `hl-${s.class} chg` : `hl-${s.class}`}>
              {s.text}
            </span>
          ),
        )}
      </div>
    </div>
  );
  const num = (n: number | undefined, segment: number) => (
    <span className="dnum" aria-hidden="true">
      {n !== undefined && segment === 0 ? n : ""}
    </span>
  );

  return (
    <div className="diff-wrap">
      {error && (
        <p role="alert" className="error" data-testid="diff-error">
          {error}
        </p>
      )}
      <span className="measure" ref={measureRef} aria-hidden="true">
        {"0".repeat(100)}
      </span>
      <div
        ref={scroller}
        className={`diff-scroller ${wrap ? "wrap" : "nowrap"}`}
        data-testid="diff-scroller"
        role="region"
        aria-label={`Diff of ${revealText(path)}`}
        tabIndex={0}
        onScroll={sync}
      >
        <div className="diff-spacer" style={{ height: layout.rows * ROW_HEIGHT, width: contentWidth }}>
          {/* The layer is one viewport, pinned in place: a layer as tall as the file would be
              painted whole by WebKit on every scroll. Rows are placed relative to the viewport. */}
          <div className="diff-layer" style={{ width: viewport.width, height: viewport.height }}>
            {rows.map((row) => {
              const top = row.row * ROW_HEIGHT - viewport.top;
              if (row.type === "gap") {
                return (
                  <div key={`g${row.row}`} className="drow gap" style={{ top }} data-row={row.row}>
                    <button
                      type="button"
                      className="gap-button"
                      onClick={() => expand(row.gap, EXPAND_STEP)}
                    >
                      ⋯ {row.hidden} unchanged lines
                      <span className="sr-only">: show {Math.min(EXPAND_STEP, row.hidden)} of them</span>
                    </button>
                    <button
                      type="button"
                      className="gap-button"
                      aria-label={`Show all ${row.hidden} hidden lines`}
                      onClick={() => expand(row.gap, 0xffffffff)}
                    >
                      Show all
                    </button>
                  </div>
                );
              }
              const kind = row.old && row.new ? row.old.kind : (row.old ?? row.new)?.kind ?? "context";
              const classes = ["drow", kind];
              const flagged = row.segment === 0 ? signals?.get(row.row) : undefined;
              if (flagged) classes.push("flagged");
              const chip = flagged && (
                <span className="signal-chip" data-testid="signal-chip">
                  {flagged.map((sig, i) => (
                    <span key={i} className={`signal ${sig.source}`} title={revealText(signalLabel(sig))}>
                      ⚑ <Visible text={signalLabel(sig)} />
                    </span>
                  ))}
                </span>
              );
              if (hits.has(row.row)) classes.push("hit");
              if (current === row.row) classes.push("current");
              if (split) {
                return (
                  <div key={`l${row.row}`} className={classes.join(" ")} style={{ top }} data-row={row.row}>
                    <div className="dpane">
                      {num(row.old?.line, row.segment)}
                      {cellText(row.old, "old")}
                    </div>
                    <div className="dpane">
                      {num(row.new?.line, row.segment)}
                      {cellText(row.new, "new")}
                    </div>
                    {chip}
                  </div>
                );
              }
              const sign = kind === "removed" ? "-" : kind === "added" ? "+" : " ";
              return (
                <div key={`l${row.row}`} className={classes.join(" ")} style={{ top }} data-row={row.row}>
                  {num(row.old?.line, row.segment)}
                  {num(row.new?.line, row.segment)}
                  <span className="dsign" aria-hidden="true">
                    {row.segment === 0 ? sign : ""}
                  </span>
                  {cellText(row.old ?? row.new, row.old ? "old" : "new")}
                  {chip}
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </div>
  );
}
