import { useEffect, useRef } from "react";
import { statusLetter, type TreeRow } from "../lib/fileTree";
import { revealText } from "../lib/hidden";
import { Visible } from "./Visible";

type Props = {
  rows: readonly TreeRow[];
  selected: number | null;
  onSelect: (index: number) => void;
  /** Signal counts by file path and by folder path ending in "/" (see lib/review). */
  signals?: ReadonlyMap<string, number>;
};

/** The review's files as a tree with A/M/D/R marks, line counts, viewed marks and folder roll-ups. */
export function FileTree({ rows, selected, onSelect, signals }: Props) {
  const list = useRef<HTMLUListElement>(null);
  useEffect(() => {
    list.current?.querySelector('[aria-current="true"]')?.scrollIntoView?.({ block: "nearest" });
  }, [selected]);
  return (
    <ul className="file-tree" ref={list} aria-label="Changed files" data-testid="file-tree">
      {rows.map((r) =>
        r.type === "folder" ? (
          <li key={`d:${r.path}`} className="tree-folder" style={{ paddingLeft: r.depth * 14 + 6 }}>
            <span className="tree-name">
              <Visible text={r.name} />/
            </span>
            <span className="tree-counts">
              {(signals?.get(`${r.path}/`) ?? 0) > 0 && (
                <span className="tree-signals" data-testid="folder-signals" data-path={r.path}>
                  ⚑ {signals?.get(`${r.path}/`)}{" "}
                </span>
              )}
              {r.viewed}/{r.files} viewed
              {r.added + r.removed > 0 && (
                <>
                  {" "}
                  <span className="plus">+{r.added}</span> <span className="minus">−{r.removed}</span>
                </>
              )}
            </span>
          </li>
        ) : (
          <li key={`f:${r.index}`} style={{ paddingLeft: r.depth * 14 + 6 }}>
            <button
              type="button"
              className={`tree-file status-${r.file.change.status}${r.file.viewed ? " viewed" : ""}`}
              aria-current={selected === r.index ? "true" : undefined}
              data-testid="tree-file"
              data-path={r.file.change.path}
              onClick={() => onSelect(r.index)}
            >
              <span className={`status-mark ${r.file.change.status}`} aria-hidden="true">
                {statusLetter(r.file.change.status)}
              </span>
              <span className="tree-name">
                <Visible text={r.name} />
              </span>
              {/* Read after the name (its accessible name is what is shown, then this). */}
              <span className="sr-only">
                {`${
                  r.file.change.path.includes("/")
                    ? `, in ${revealText(r.file.change.path.slice(0, r.file.change.path.lastIndexOf("/")))}`
                    : ""
                }, ${r.file.change.status}${r.file.viewed ? ", viewed" : ""}${
                  (signals?.get(r.file.change.path) ?? 0) > 0 ? `, ${signals?.get(r.file.change.path)} signals` : ""
                }`}
              </span>
              {r.file.change.added !== null && (
                <span className="tree-lines" aria-hidden="true">
                  <span className="plus">+{r.file.change.added}</span>{" "}
                  <span className="minus">−{r.file.change.removed ?? 0}</span>
                </span>
              )}
              {(signals?.get(r.file.change.path) ?? 0) > 0 && (
                <span className="tree-signals" aria-hidden="true">
                  ⚑{signals?.get(r.file.change.path)}
                </span>
              )}
              <span className="viewed-mark" aria-hidden="true">
                {r.file.viewed ? "✓" : ""}
              </span>
            </button>
          </li>
        ),
      )}
    </ul>
  );
}
