import { useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { AddonVersions } from "../bindings/AddonVersions";
import type { IndexProgress } from "../bindings/IndexProgress";
import type { LineExcerpt } from "../bindings/LineExcerpt";
import type { SearchHit } from "../bindings/SearchHit";
import type { SearchResults } from "../bindings/SearchResults";
import type { SearchStop } from "../bindings/SearchStop";
import { ViewFrame } from "../components/ViewFrame";
import { Visible } from "../components/Visible";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";
import { revealText } from "../lib/hidden";
import { navigate } from "../lib/navigation";

const STOPS: Record<SearchStop, string> = {
  hit_limit: "the hit limit",
  byte_budget: "the byte budget",
  time_budget: "the time budget",
};

/** Where a version sits: its add-on, its label, and the version before it (if cached). */
type VersionPlace = { addon: string; version: string; previous: number | null };

/** Every cached version by id, with the version before it in its add-on. */
function places(addons: AddonVersions[]): Map<number, VersionPlace> {
  const out = new Map<number, VersionPlace>();
  for (const a of addons) {
    a.versions.forEach((v, i) => {
      out.set(v.id, { addon: a.name, version: v.version, previous: a.versions[i - 1]?.id ?? null });
    });
  }
  return out;
}

/**
 * Splits an excerpt into before / match / after at the hit's byte offsets. Offsets are bytes of
 * the line; the excerpt is text from byte `start`, so the split is done on its UTF-8 bytes.
 */
export function splitMatch(excerpt: LineExcerpt, column: number, length: number): [string, string, string] {
  const bytes = new TextEncoder().encode(excerpt.text);
  const from = Math.min(bytes.length, Math.max(0, column - excerpt.start));
  const to = Math.min(bytes.length, from + Math.max(0, length));
  const dec = new TextDecoder();
  return [dec.decode(bytes.slice(0, from)), dec.decode(bytes.slice(from, to)), dec.decode(bytes.slice(to))];
}

/** One context line of a hit: number and text, dimmed. */
function ContextLine({ c }: { c: LineExcerpt }) {
  return (
    <div className="search-context muted">
      <span className="search-lineno">{c.line}</span> <Visible text={c.text} />
      {c.cut ? "…" : ""}
    </div>
  );
}

type Group = { versionId: number; path: string; hits: SearchHit[] };

/** Groups hits by version then file, keeping the core's order (version id, path, line). */
function groupHits(hits: SearchHit[]): Group[] {
  const groups: Group[] = [];
  for (const h of hits) {
    const last = groups[groups.length - 1];
    if (last && last.versionId === h.version_id && last.path === h.path) last.hits.push(h);
    else groups.push({ versionId: h.version_id, path: h.path, hits: [h] });
  }
  return groups;
}

/** Regex or literal search across one cached version or all of them; a hit opens the review there. */
export function SearchView() {
  const cached = useCommand(commands.cachedAddons);
  const [pattern, setPattern] = useState("");
  const [literal, setLiteral] = useState(true);
  const [ignoreCase, setIgnoreCase] = useState(false);
  const [glob, setGlob] = useState("");
  const [scope, setScope] = useState<string>("all");
  const [context, setContext] = useState(1);
  const searching = useCommand<{ results: SearchResults; elapsed: number }>();
  const [indexing, setIndexing] = useState<IndexProgress | null>(null);
  const [openError, setOpenError] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const addons = useMemo(() => cached.data ?? [], [cached.data]);
  const running = searching.busy;
  // A failed search shows its error and no results; a running one keeps the last results.
  const results = searching.status === "error" ? null : (searching.data?.results ?? null);
  const elapsed = searching.data?.elapsed ?? 0;
  const error = (searching.error ?? cached.error)?.message ?? null;

  const where = useMemo(() => places(addons), [addons]);
  const groups = useMemo(() => groupHits(results?.hits ?? []), [results]);

  const submit = () => {
    if (pattern === "") return;
    setIndexing(null);
    setOpenError(null);
    const query = {
      pattern,
      fixedStrings: literal,
      ignoreCase,
      versionId: scope === "all" ? null : Number(scope),
      globs: glob.trim() === "" ? [] : glob.split(",").map((g) => g.trim()),
      context,
    };
    const onIndex = (p: IndexProgress) => setIndexing(p.done < p.total ? p : null);
    void searching.run((live) => {
      const started = performance.now();
      return commands
        .searchCache(query, live(onIndex))
        .then((found) => ({ results: found, elapsed: performance.now() - started }));
    });
  };

  const open = (hit: SearchHit) => {
    const place = where.get(hit.version_id);
    if (!place || place.previous === null) {
      setOpenError(
        `Version ${place?.version ?? hit.version_id} is the only cached version of ${place?.addon ?? "its add-on"}; import an earlier one to review it.`,
      );
      return;
    }
    setOpenError(null);
    navigate({ view: "review", open: { old: place.previous, next: hit.version_id, at: { path: hit.path, line: hit.line } } });
  };

  // Arrow keys move between results; Enter opens one (buttons already open on Enter and Space).
  const onListKey = (e: KeyboardEvent<HTMLOListElement>) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    const items = Array.from(list.current?.querySelectorAll<HTMLButtonElement>("button.search-hit") ?? []);
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    const next = items[Math.min(items.length - 1, Math.max(0, at + (e.key === "ArrowDown" ? 1 : -1)))];
    if (next) {
      e.preventDefault();
      next.focus();
    }
  };

  return (
    <ViewFrame id="search" title="Search">
      <form
        className="search-form"
        role="search"
        aria-label="Search cached code"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <input
          type="search"
          aria-label="Pattern"
          data-testid="search-pattern"
          placeholder={literal ? "Text to find" : "Regular expression"}
          value={pattern}
          onChange={(e) => setPattern(e.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? "search-error" : undefined}
        />
        <label className="check">
          <input
            type="checkbox"
            data-testid="search-regex"
            checked={!literal}
            onChange={(e) => setLiteral(!e.target.checked)}
          />
          Regex
        </label>
        <label className="check">
          <input
            type="checkbox"
            data-testid="search-ignore-case"
            checked={ignoreCase}
            onChange={(e) => setIgnoreCase(e.target.checked)}
          />
          Ignore case
        </label>
        <label>
          Paths{" "}
          <input
            aria-label="Path globs"
            data-testid="search-glob"
            placeholder="*.js, lib/**"
            value={glob}
            onChange={(e) => setGlob(e.target.value)}
          />
        </label>
        <label>
          In{" "}
          <select data-testid="search-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
            <option value="all">every cached version</option>
            {addons.flatMap((a) =>
              a.versions.map((v) => (
                <option key={v.id} value={String(v.id)}>
                  {a.name} {v.version}
                </option>
              )),
            )}
          </select>
        </label>
        <label>
          Context{" "}
          <select aria-label="Context lines" value={context} onChange={(e) => setContext(Number(e.target.value))}>
            {[0, 1, 2, 3, 5].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="search-run" disabled={running || pattern === ""}>
          {running ? "Searching…" : "Search"}
        </button>
      </form>
      <div aria-live="polite">
        {running && (
          <p className="muted" data-testid="search-running">
            {indexing ? (
              <>
                Indexing files imported since the last search: {indexing.done.toLocaleString()} of{" "}
                {indexing.total.toLocaleString()}…{" "}
                <progress max={indexing.total} value={indexing.done} aria-label="Indexing progress" />
              </>
            ) : (
              "Searching…"
            )}
          </p>
        )}
        {error && (
          <p role="alert" id="search-error" className="error" data-testid="search-error">
            {error}
          </p>
        )}
        {results && !running && (
          <p className="muted" data-testid="search-summary">
            {results.hits.length} {results.hits.length === 1 ? "match" : "matches"} in {groups.length}{" "}
            {groups.length === 1 ? "file" : "files"} · {Math.round(elapsed)} ms
            {results.stopped && ` · stopped early at ${STOPS[results.stopped]}; results are incomplete`}
          </p>
        )}
      </div>
      {openError && (
        <p role="alert" className="error" data-testid="search-open-error">
          {openError}
        </p>
      )}
      {results && results.hits.length > 0 && (
        <ol className="search-results" ref={list} onKeyDown={onListKey} aria-label="Search results">
          {groups.map((g) => {
            const place = where.get(g.versionId);
            return (
              <li key={`${g.versionId}:${g.path}`} className="search-group">
                <h3 className="search-file">
                  <span className="muted">
                    {place ? `${place.addon} ${place.version}` : `version ${g.versionId}`}
                  </span>{" "}
                  <Visible text={g.path} />
                </h3>
                <ul>
                  {g.hits.map((h) => {
                    const [pre, match, post] = splitMatch(h.excerpt, h.column, h.length);
                    return (
                      <li key={h.line}>
                        {h.before.map((c) => (
                          <ContextLine key={c.line} c={c} />
                        ))}
                        <button
                          type="button"
                          className="search-hit"
                          data-testid="search-hit"
                          onClick={() => open(h)}
                          aria-label={`${revealText(g.path)}:${h.line}`}
                        >
                          <span className="search-lineno">
                            <Visible text={g.path} />:{h.line}
                          </span>{" "}
                          <span className="search-text">
                            {h.excerpt.start > 0 ? "…" : ""}
                            <Visible text={pre} />
                            <mark>
                              <Visible text={match} />
                            </mark>
                            <Visible text={post} />
                            {h.excerpt.cut ? "…" : ""}
                          </span>
                        </button>
                        {h.after.map((c) => (
                          <ContextLine key={c.line} c={c} />
                        ))}
                      </li>
                    );
                  })}
                </ul>
              </li>
            );
          })}
        </ol>
      )}
      {results && results.hits.length === 0 && !running && (
        <p className="muted" data-testid="search-none">
          No cached file matches.
        </p>
      )}
    </ViewFrame>
  );
}
