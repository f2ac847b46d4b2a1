import { useCallback, useEffect, useState } from "react";

/** The top-level views, in sidebar order. */
export const VIEWS = ["queues", "review", "outbox", "search", "settings"] as const;
/** One of the top-level views. */
export type ViewId = (typeof VIEWS)[number];

function parse(hash: string): ViewId {
  const id = hash.replace(/^#\/?/, "").split("/")[0];
  return (VIEWS as readonly string[]).includes(id ?? "") ? (id as ViewId) : "queues";
}

/** The current view, kept in the URL hash so reloads and history keep the reviewer's place. */
export function useRoute(): [ViewId, (view: ViewId) => void] {
  const [view, setView] = useState<ViewId>(() => parse(window.location.hash));
  useEffect(() => {
    const onHash = () => setView(parse(window.location.hash));
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  const go = useCallback((next: ViewId) => {
    if (parse(window.location.hash) !== next) window.location.hash = `#/${next}`;
    setView(next);
  }, []);
  return [view, go];
}
