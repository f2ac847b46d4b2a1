// The cached queue entries with the decisions already signed for them, read again after every
// sync and whenever a decision is recorded (the outbox changes then).
import { useCallback, useMemo } from "react";
import type { LocalEntry } from "../bindings/LocalEntry";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import { flowCommands } from "../ipc";
import { decidedVersions } from "../lib/decided";
import { useCommand } from "./useCommand";
import { useServer } from "./useServer";

/** The queue state a view shows; `now` is the time of the read, so rendering stays pure. */
export type QueueState = {
  entries: LocalEntry[];
  decided: Map<number, OutboxEntry>;
  now: number;
  reload: () => void;
};

/** Entries and decisions; with `enabled` false nothing is read (a view not on screen). */
export function useQueueState(enabled = true): QueueState {
  const { lastReport } = useServer();
  const read = useCallback(
    () =>
      Promise.all([flowCommands.queueEntries(null), flowCommands.outboxEntries()]).then(([entries, outbox]) => ({
        entries,
        outbox,
        now: Date.now(),
      })),
    [],
  );
  const loaded = useCommand(enabled ? read : null, lastReport);
  const data = loaded.data;
  const decided = useMemo(() => decidedVersions(data?.outbox ?? null), [data]);
  return { entries: data?.entries ?? [], decided, now: data?.now ?? 0, reload: loaded.reload };
}
