// The one way a component calls the backend: the hook tracks loading and errors, and keeps
// only the latest call's reply, so a slow answer to an older request never overwrites a newer
// one's result (nor lands after the component is gone).
import { useCallback, useEffect, useRef, useState } from "react";
import type { UiError } from "../bindings/UiError";
import { toUiError } from "../ipc";

/**
 * The state of a component's calls of one command: its latest call's status, and the last
 * successful reply, kept while a newer call runs or after it failed.
 */
export type CommandState<T> =
  | { status: "idle"; data: null; error: null }
  | { status: "loading"; data: T | null; error: null }
  | { status: "ok"; data: T; error: null }
  | { status: "error"; data: T | null; error: UiError };

/** How one call ended: its reply, its error, or "stale" when a newer call (or unmount) won. */
export type Reply<T> = { status: "ok"; data: T } | { status: "error"; error: UiError } | { status: "stale" };

/** Wraps a channel callback (progress, late results) so it runs only while its call is the
 * latest one; messages of a superseded call are dropped. */
export type Live = <A extends unknown[]>(callback: (...args: A) => void) => (...args: A) => void;

/** A command as a component holds it: its state, and the ways to call it. */
export type Command<T> = CommandState<T> & {
  /** Whether the latest call is still running. */
  busy: boolean;
  /** Starts a call, superseding any running one; resolves (never rejects) with how it ended. */
  run: (call: (live: Live) => Promise<T>) => Promise<Reply<T>>;
  /** Calls `load` again. */
  reload: () => void;
  /** Back to idle: forgets the data and drops the reply of any running call. */
  reset: () => void;
};

const IDLE = { status: "idle", data: null, error: null } as const;

/**
 * A command call with loading, errors and stale replies handled. With `load`, it is called on
 * mount and whenever `load` or `reloadOn` changes (keep `load` stable with useCallback or
 * useMemo; null calls nothing), and the last reply stays shown until the new one lands. `run`
 * makes calls on demand.
 */
export function useCommand<T>(load: (() => Promise<T>) | null = null, reloadOn?: unknown): Command<T> {
  const [state, setState] = useState<CommandState<T>>(
    load ? { status: "loading", data: null, error: null } : IDLE,
  );
  const [generation, setGeneration] = useState(0);
  // The id of the latest call; a reply or channel message of any other call is stale.
  const latest = useRef(0);

  // Starts a call without touching the state until it answers, so effects may call it too.
  const start = useCallback((call: (live: Live) => Promise<T>): Promise<Reply<T>> => {
    const id = ++latest.current;
    const current = () => latest.current === id;
    const live: Live =
      (callback) =>
      (...args) => {
        if (current()) callback(...args);
      };
    let pending: Promise<T>;
    try {
      pending = call(live);
    } catch (err) {
      pending = Promise.reject(err);
    }
    return pending.then(
      (data): Reply<T> => {
        if (!current()) return { status: "stale" };
        setState({ status: "ok", data, error: null });
        return { status: "ok", data };
      },
      (err: unknown): Reply<T> => {
        if (!current()) return { status: "stale" };
        const error = toUiError(err);
        setState((s) => ({ status: "error", data: s.data, error }));
        return { status: "error", error };
      },
    );
  }, []);

  const run = useCallback(
    (call: (live: Live) => Promise<T>) => {
      setState((s) => ({ status: "loading", data: s.data, error: null }));
      return start(call);
    },
    [start],
  );

  // A reload keeps the last reply on screen until the new one lands, instead of flashing empty.
  useEffect(() => {
    if (load) void start(() => load());
  }, [load, generation, reloadOn, start]);

  useEffect(
    () => () => {
      latest.current++;
    },
    [],
  );

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const reset = useCallback(() => {
    latest.current++;
    setState(IDLE);
  }, []);

  return { ...state, busy: state.status === "loading", run, reload, reset };
}
