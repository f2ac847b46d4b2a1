import { useEffect, useEffectEvent, useMemo, useRef, useState } from "react";
import type { LocalEntry } from "../bindings/LocalEntry";
import type { LocalQueue } from "../bindings/LocalQueue";
import { EmptyState } from "../components/EmptyState";
import { KeyHelp } from "../components/KeyHelp";
import { SyncButton } from "../components/SyncButton";
import { ViewFrame } from "../components/ViewFrame";
import { useCommand } from "../hooks/useCommand";
import { useServer } from "../hooks/useServer";
import { useVocabulary } from "../hooks/useVocabulary";
import { flowCommands } from "../ipc";
import { bindingFor, type QueueCommand, typing, VIEW_SCOPES } from "../lib/keys";
import { navigate, type ReviewTarget } from "../lib/navigation";
import { relativeDue } from "../lib/time";
import { hoverText, type Kind, wordsFor } from "../lib/words";
import type { Vocabulary } from "../bindings/Vocabulary";
import "../components/flow.css";

/** How the entries are ordered. */
export type SortKey = "due" | "weight" | "name";

/** Orders entries: soonest due first, heaviest first, or by name; ties by entry id. */
export function sortEntries(entries: LocalEntry[], key: SortKey): LocalEntry[] {
  const by: Record<SortKey, (a: LocalEntry, b: LocalEntry) => number> = {
    due: (a, b) => a.due_date.localeCompare(b.due_date),
    weight: (a, b) => b.weight - a.weight,
    name: (a, b) => a.addon_name.localeCompare(b.addon_name),
  };
  return [...entries].sort((a, b) => by[key](a, b) || a.id - b.id);
}

/** The cached pair to review: last approved → under review, when both are cached. */
export function reviewPair(entry: LocalEntry): ReviewTarget | null {
  if (entry.file.state !== "cached" || entry.base_cached_version_id === null) return null;
  return { old: entry.base_cached_version_id, next: entry.file.version_id, remoteVersionId: entry.version_id };
}

function fileLabel(entry: LocalEntry): string {
  if (entry.file.state === "quarantined") return `Quarantined: ${entry.file.reason}`;
  if (entry.file.state === "pending") return "Not downloaded";
  return entry.offline_ready ? "Ready offline" : "Earlier version not downloaded";
}

/** Codes as words, each with its description and code on hover. */
function Codes({ vocabulary, kind, codes }: { vocabulary: Vocabulary | null; kind: Kind; codes: string[] }) {
  return (
    <ul className="codes">
      {codes.map((code) => {
        const w = wordsFor(vocabulary, kind, code);
        return (
          <li key={code} title={hoverText(w)} data-code={code}>
            {w.title}
          </li>
        );
      })}
    </ul>
  );
}

/** How many weight factors a row shows; the rest are in the hover. */
const SHOWN_FACTORS = 3;

/** The weight and the factors it is made of, largest first. */
function Weight({ vocabulary, entry }: { vocabulary: Vocabulary | null; entry: LocalEntry }) {
  const parts = entry.weight_breakdown.map((p) => ({ ...p, words: wordsFor(vocabulary, "weight_factors", p.factor) }));
  const all = parts.map((p) => `${p.words.title} ${p.points > 0 ? "+" : ""}${p.points}`).join("\n");
  return (
    <div className="weight" title={all || "No breakdown from the server"} data-testid="entry-weight">
      <span className="num">{entry.weight}</span>
      {parts.length > 0 && (
        <ul className="weight-parts">
          {parts.slice(0, SHOWN_FACTORS).map((p) => (
            <li key={p.factor} data-factor={p.factor}>
              {p.words.title} {p.points > 0 ? "+" : ""}
              {p.points}
            </li>
          ))}
          {parts.length > SHOWN_FACTORS && <li className="muted">and {parts.length - SHOWN_FACTORS} more</li>}
        </ul>
      )}
    </div>
  );
}

/** The cached queues and entries; "overdue" is judged against the time of the read, so a render
 * stays pure. */
function readCache(): Promise<{ queues: LocalQueue[]; entries: LocalEntry[]; now: number }> {
  return Promise.all([flowCommands.localQueues(), flowCommands.queueEntries(null)]).then(([queues, entries]) => ({
    queues,
    entries,
    now: Date.now(),
  }));
}

/** Review queues from the local cache: counts, sorting, filters, sync, and opening a review. */
export function QueuesView() {
  const { lastReport, reachable, status } = useServer();
  const vocabulary = useVocabulary();
  const words = (kind: Kind, code: string) => wordsFor(vocabulary, kind, code);
  // Read the cache again whenever a sync finishes (a new report is a new load).
  const cache = useCommand(readCache, lastReport);
  const queues = cache.data?.queues ?? null;
  const entries = useMemo(() => cache.data?.entries ?? [], [cache.data]);
  const now = cache.data?.now ?? 0;
  const error = cache.error?.message ?? null;
  const [queue, setQueue] = useState<string | null>(null);
  const [sort, setSort] = useState<SortKey>("due");
  const [reason, setReason] = useState("");
  const [flag, setFlag] = useState("");
  // The selected entry, by id, so a sort or filter keeps it; the first shown entry otherwise.
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [help, setHelp] = useState(false);
  const selectedRow = useRef<HTMLTableRowElement>(null);

  const reasons = useMemo(() => [...new Set(entries.flatMap((e) => e.reasons))].sort(), [entries]);
  const flags = useMemo(() => [...new Set(entries.flatMap((e) => e.flags))].sort(), [entries]);
  const shown = useMemo(
    () =>
      sortEntries(
        entries.filter(
          (e) =>
            (queue === null || e.queue === queue) &&
            (reason === "" || e.reasons.includes(reason)) &&
            (flag === "" || e.flags.includes(flag)),
        ),
        sort,
      ),
    [entries, queue, reason, flag, sort],
  );
  const selectedIndex = Math.max(
    0,
    shown.findIndex((e) => e.id === selectedId),
  );
  const selected = shown[selectedIndex] ?? null;

  useEffect(() => {
    selectedRow.current?.scrollIntoView?.({ block: "nearest" });
  }, [selected?.id]);

  // The queue's keys, while no text field or dialog has focus.
  const onKey = useEffectEvent((e: KeyboardEvent) => {
    if (help || typing(e)) return;
    const b = bindingFor("queues", e);
    if (!b) return;
    e.preventDefault();
    const step = (delta: number) => {
      const next = shown[Math.min(shown.length - 1, Math.max(0, selectedIndex + delta))];
      if (next) setSelectedId(next.id);
    };
    const actions: Record<QueueCommand, () => void> = {
      "next-entry": () => step(1),
      "previous-entry": () => step(-1),
      "open-entry": () => {
        const pair = selected && reviewPair(selected);
        if (pair) navigate({ view: "review", open: pair });
      },
      help: () => setHelp(true),
    };
    actions[b.does]();
  });
  useEffect(() => {
    const listener = (e: KeyboardEvent) => onKey(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  return (
    <ViewFrame id="queues" title="Queues">
      <div className="queue-toolbar">
        <SyncButton />
        {status?.server && reachable === false && (
          <span className="offline-badge" data-testid="offline-badge">
            Offline: showing the cached queues
          </span>
        )}
      </div>
      {error && (
        <p role="alert" className="error" data-testid="queues-error">
          {error}
        </p>
      )}
      {(queues === null || queues.length === 0) && (
        <EmptyState title="Nothing synced yet">
          Log in to a review server in Settings and sync to see your queues here, sorted by due date
          with reasons and risk weight. They stay available offline.
        </EmptyState>
      )}
      {queues !== null && queues.length > 0 && (
        <>
          <div className="queue-tabs" role="group" aria-label="Queues">
            <button type="button" aria-pressed={queue === null} onClick={() => setQueue(null)} data-testid="queue-all">
              All ({entries.length})
            </button>
            {queues.map((q) => (
              <button
                type="button"
                key={q.name}
                aria-pressed={queue === q.name}
                onClick={() => setQueue(q.name)}
                data-testid="queue-tab"
                data-queue={q.name}
                title={hoverText(words("queues", q.name))}
              >
                {words("queues", q.name).title} ({q.count})
              </button>
            ))}
          </div>
          <div className="queue-filters">
            <label>
              Sort by{" "}
              <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)} data-testid="queue-sort">
                <option value="due">Due date</option>
                <option value="weight">Weight</option>
                <option value="name">Name</option>
              </select>
            </label>
            <label>
              Reason{" "}
              <select value={reason} onChange={(e) => setReason(e.target.value)} data-testid="filter-reason">
                <option value="">Any</option>
                {reasons.map((r) => (
                  <option key={r} value={r}>
                    {words("reasons", r).title}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Flag{" "}
              <select value={flag} onChange={(e) => setFlag(e.target.value)} data-testid="filter-flag">
                <option value="">Any</option>
                {flags.map((f) => (
                  <option key={f} value={f}>
                    {words("flags", f).title}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <table className="queue-table" data-testid="queue-table">
            <thead>
              <tr>
                <th scope="col">Add-on</th>
                <th scope="col">Queue</th>
                <th scope="col">Due</th>
                <th scope="col">Needs human review</th>
                <th scope="col">Flags</th>
                <th scope="col">Weight</th>
                <th scope="col">Offline</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => {
                const pair = reviewPair(e);
                const due = relativeDue(e.due_date, now);
                const isSelected = e.id === selected?.id;
                return (
                  <tr
                    key={e.id}
                    ref={isSelected ? selectedRow : undefined}
                    className={isSelected ? "selected" : undefined}
                    aria-selected={isSelected}
                    onClick={() => setSelectedId(e.id)}
                    data-testid="queue-entry"
                    data-addon={e.slug}
                    data-version={e.version_id}
                  >
                    <td>
                      <button
                        type="button"
                        className="link"
                        data-testid="open-entry"
                        disabled={pair === null}
                        title={pair === null ? "Sync to download both versions first" : "Review last approved → this version"}
                        onClick={() => pair && navigate({ view: "review", open: pair })}
                      >
                        {e.addon_name} {e.version}
                      </button>
                    </td>
                    <td title={hoverText(words("queues", e.queue))}>{words("queues", e.queue).title}</td>
                    <td className={due.overdue ? "overdue" : ""} data-testid="entry-due">
                      <time dateTime={e.due_date} title={due.exact}>
                        {due.text}
                      </time>
                    </td>
                    <td data-testid="entry-reasons">
                      <Codes vocabulary={vocabulary} kind="reasons" codes={e.reasons} />
                    </td>
                    <td data-testid="entry-flags">
                      <Codes vocabulary={vocabulary} kind="flags" codes={e.flags} />
                    </td>
                    <td className="num">
                      <Weight vocabulary={vocabulary} entry={e} />
                    </td>
                    <td data-testid="entry-cached" className={e.offline_ready ? "" : "muted"}>
                      {fileLabel(e)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="muted queue-hint">
            <kbd>j</kbd> / <kbd>k</kbd> select, <kbd>Enter</kbd> reviews, <kbd>?</kbd> lists the keys
          </p>
        </>
      )}
      {help && <KeyHelp scopes={VIEW_SCOPES.queues} onClose={() => setHelp(false)} />}
    </ViewFrame>
  );
}
