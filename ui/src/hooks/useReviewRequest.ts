import { useEffect, useRef } from "react";

const EVENT = "vetter:open-review";

/** Two cached versions to review: the base (last approved, if cached) and the one under review. */
export type ReviewRequest = { old: number; next: number };

/** Asks the review view to open `old` → `next` and switches to it. */
export function requestReview(request: ReviewRequest) {
  window.dispatchEvent(new CustomEvent<ReviewRequest>(EVENT, { detail: request }));
  window.location.hash = "#/review";
}

/** Calls `open` for every review another view asks for. */
export function useReviewRequests(open: (request: ReviewRequest) => void) {
  const latest = useRef(open);
  useEffect(() => {
    latest.current = open;
  }, [open]);
  useEffect(() => {
    const onRequest = (e: Event) => {
      const detail = (e as CustomEvent<ReviewRequest>).detail;
      if (detail && Number.isInteger(detail.old) && Number.isInteger(detail.next)) latest.current(detail);
    };
    window.addEventListener(EVENT, onRequest);
    return () => window.removeEventListener(EVENT, onRequest);
  }, []);
}
