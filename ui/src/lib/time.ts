// Due dates as a reviewer reads them: how far off, in the largest unit that says it, with the
// exact time kept for a hover.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A span of milliseconds in one unit, rounded down: "40 min", "5 h", "2 d". */
export function span(ms: number): string {
  const a = Math.abs(ms);
  if (a >= DAY) return `${Math.floor(a / DAY)} d`;
  if (a >= HOUR) return `${Math.floor(a / HOUR)} h`;
  return `${Math.max(1, Math.floor(a / MINUTE))} min`;
}

/** A due date relative to `now`: "overdue 2 d", "due in 5 h", or the text itself when it is no
 * date (a server may send anything; it is shown, not guessed at). */
export function relativeDue(due: string, now: number): { text: string; overdue: boolean; exact: string } {
  const t = Date.parse(due);
  if (!Number.isFinite(t)) return { text: due || "no due date", overdue: false, exact: due };
  const exact = new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const overdue = t < now;
  return { text: overdue ? `overdue ${span(now - t)}` : `due in ${span(t - now)}`, overdue, exact: `${exact} (${due})` };
}
