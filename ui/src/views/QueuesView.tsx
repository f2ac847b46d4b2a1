import { useEffect, useEffectEvent, useMemo, useRef, useState } from "react";
import type { LocalEntry } from "../bindings/LocalEntry";
import type { LocalQueue } from "../bindings/LocalQueue";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import { decidedLabel, decidedVersions } from "../lib/decided";
import { EmptyState } from "../components/EmptyState";
import { KeyHelp } from "../components/KeyHelp";
import { SyncButton } from "../components/SyncButton";
import { ViewFrame } from "../components/ViewFrame";
import { useCommand } from "../hooks/useCommand";
import { useQueuePresence } from "../hooks/usePresence";
import { useServer } from "../hooks/useServer";
import { useVocabulary } from "../hooks/useVocabulary";
import { flowCommands } from "../ipc";
import { bindingFor, type QueueCommand, typing, VIEW_SCOPES } from "../lib/keys";
import { navigate } from "../lib/navigation";
import { reviewPair, type SortKey, sortEntries } from "../lib/queue";
import { relativeDue } from "../lib/time";
import { hoverText, type Kind, wordsFor } from "../lib/words";
import { AlsoOpenBy } from "../components/AlsoOpenBy";
import { Codes, Weight } from "../components/EntryWords";
import "../components/flow.css";

function fileLabel(entry: LocalEntry): string {
  if (entry.file.state === "quarantined") return `Quarantined: ${entry.file.reason}`;
  if (entry.file.state === "pending") return "Not downloaded";
  return entry.offline_ready ? "Ready offline" : "Earlier version not downloaded";
}

/** The cached queues and entries; "overdue" is judged against the time of the read, so a render
 * stays pure. */
function readCache(): Promise<{ queues: LocalQueue[]; entries: LocalEntry[]; outbox: OutboxEntry[]; now: number }> {
  return Promise.all([flowCommands.localQueues(), flowCommands.queueEntries(null), flowCommands.outboxEntries()]).then(
    ([queues, entries, outbox]) => ({ queues, entries, outbox, now: Date.now() }),
  );
}

/** Marked once per window, at the first frame after the cached queues are drawn: where the app's
 * start-to-queue time ends (read by the year-sized benchmark). */
export const MARK_QUEUE_PAINTED = "vetter:queue-painted";

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
  const decided = useMemo(() => decidedVersions(cache.data?.outbox ?? null), [cache.data]);
  const error = cache.error?.message ?? null;
  // Who else has each add-on open, while the server answers.
  const presence = useQueuePresence(reachable !== false);
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
  // Until the reviewer picks one, the first entry that can be reviewed and is not decided yet.
  const firstToDo = shown.findIndex((e) => reviewPair(e) !== null && !decided.has(e.version_id));
  const picked = shown.findIndex((e) => e.id === selectedId);
  const selectedIndex = Math.max(0, picked >= 0 ? picked : firstToDo);
  const selected = shown[selectedIndex] ?? null;

  useEffect(() => {
    selectedRow.current?.scrollIntoView?.({ block: "nearest" });
  }, [selected?.id]);

  useEffect(() => {
    if (!cache.data || performance.getEntriesByName(MARK_QUEUE_PAINTED).length > 0) return;
    requestAnimationFrame(() => performance.mark(MARK_QUEUE_PAINTED));
  }, [cache.data]);

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
                const decision = decided.get(e.version_id);
                return (
                  <tr
                    key={e.id}
                    ref={isSelected ? selectedRow : undefined}
                    className={[isSelected ? "selected" : "", decision ? "decided" : ""].join(" ").trim() || undefined}
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
                      <AlsoOpenBy viewers={presence.get(e.addon_id)} />
                      {decision && (
                        <span className="decided-badge" data-testid="entry-decided">
                          {decidedLabel(words("actions", decision.decision.action).title, decision)}
                        </span>
                      )}
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
