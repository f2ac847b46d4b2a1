import { useCallback, useEffect, useState } from "react";
import type { UiError } from "../bindings/UiError";
import { toUiError } from "../ipc";

/** The state of one command call as a view sees it. */
export type CommandState<T> =
  | { status: "loading" }
  | { status: "ok"; data: T }
  | { status: "error"; error: UiError };

/** Calls `run` on mount (and on `reload`), tracking loading and errors for the view. */
export function useCommand<T>(run: () => Promise<T>): CommandState<T> & { reload: () => void } {
  const [state, setState] = useState<CommandState<T>>({ status: "loading" });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    run().then(
      (data) => live && setState({ status: "ok", data }),
      (err: unknown) => live && setState({ status: "error", error: toUiError(err) }),
    );
    return () => {
      live = false;
    };
  }, [run, generation]);
  const reload = useCallback(() => {
    setState({ status: "loading" });
    setGeneration((g) => g + 1);
  }, []);
  return { ...state, reload };
}
