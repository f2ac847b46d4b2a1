// Why the opened version is in a queue, at the top of its review: the queue, the due date, the
// reasons, flags and weight, and whether it is decided already.
import type { LocalEntry } from "../bindings/LocalEntry";
import type { OutboxEntry } from "../bindings/OutboxEntry";
import type { Viewer } from "../bindings/Viewer";
import type { Vocabulary } from "../bindings/Vocabulary";
import { decidedLabel } from "../lib/decided";
import { relativeDue } from "../lib/time";
import { hoverText, wordsFor } from "../lib/words";
import { AlsoOpenBy } from "./AlsoOpenBy";
import { Codes, Weight } from "./EntryWords";

/** The compact context header of a review opened from a queue entry. */
export function EntryContext({
  entry,
  decided,
  vocabulary,
  now,
  others = [],
}: {
  entry: LocalEntry;
  decided: OutboxEntry | null;
  vocabulary: Vocabulary | null;
  now: number;
  /** The other reviewers with this add-on's review open. */
  others?: Viewer[];
}) {
  const queue = wordsFor(vocabulary, "queues", entry.queue);
  const due = relativeDue(entry.due_date, now);
  return (
    <section className="entry-context" aria-label="Why this version is in a queue" data-testid="entry-context">
      <span className="queue-name" title={hoverText(queue)}>
        {queue.title}
      </span>
      <time className={due.overdue ? "overdue" : ""} dateTime={entry.due_date} title={due.exact} data-testid="context-due">
        {due.text}
      </time>
      <div className="context-part">
        <span className="muted">Needs review: </span>
        <Codes vocabulary={vocabulary} kind="reasons" codes={entry.reasons} />
      </div>
      {entry.flags.length > 0 && (
        <div className="context-part">
          <span className="muted">Flags: </span>
          <Codes vocabulary={vocabulary} kind="flags" codes={entry.flags} />
        </div>
      )}
      <div className="context-part">
        <span className="muted">Weight: </span>
        <Weight vocabulary={vocabulary} entry={entry} />
      </div>
      <AlsoOpenBy viewers={others} />
      {decided && (
        <span className="decided-badge" role="status" data-testid="context-decided">
          Decided: {decidedLabel(wordsFor(vocabulary, "actions", decided.decision.action).title, decided)}
        </span>
      )}
    </section>
  );
}
