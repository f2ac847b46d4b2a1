// The server's vocabulary for the views that show codes: read from the cache (AMO's names
// before any sync), again after every sync, since a sync may bring new words.
import type { Vocabulary } from "../bindings/Vocabulary";
import { flowCommands } from "../ipc";
import { useCommand } from "./useCommand";
import { useServer } from "./useServer";

/** The vocabulary, or null while it loads (lookups then fall back to the codes as words). */
export function useVocabulary(): Vocabulary | null {
  const { lastReport } = useServer();
  return useCommand(flowCommands.vocabulary, lastReport).data ?? null;
}
