// The store's reasons for a decision, from the server's vocabulary: a filterable list of
// checkboxes, each with the policy it applies; checking one adds its canned response to the
// message, as AMO's review page does.
import { useId, useState } from "react";
import type { ReviewReason } from "../bindings/ReviewReason";
import { Visible } from "./Visible";

/** The reasons offered with `action`: those naming it, and those naming no action at all. */
export function reasonsFor(all: readonly ReviewReason[], action: string): ReviewReason[] {
  return all.filter((r) => r.actions.length === 0 || r.actions.includes(action));
}

/** Whether a reason matches a filter text, by its name, policy or response (case-insensitive). */
export function matchesFilter(reason: ReviewReason, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (f === "") return true;
  return [reason.name, reason.policy?.name ?? "", reason.policy?.text ?? "", reason.canned_response].some((t) =>
    t.toLowerCase().includes(f),
  );
}

/** The list; `chosen` holds reason names (what the signed decision records). */
export function ReasonPicker({
  reasons,
  chosen,
  required,
  onToggle,
  error,
}: {
  reasons: readonly ReviewReason[];
  chosen: readonly string[];
  required: boolean;
  onToggle: (reason: ReviewReason, on: boolean) => void;
  error: React.ReactNode;
}) {
  const [filter, setFilter] = useState("");
  const filterId = useId();
  const shown = reasons.filter((r) => matchesFilter(r, filter) || chosen.includes(r.name));
  return (
    <fieldset className="reason-picker" data-testid="decision-reason-picker">
      <legend>
        Reasons{required ? " (required)" : ""}{" "}
        <span className="muted">
          {chosen.length} of {reasons.length} chosen
        </span>
      </legend>
      <label htmlFor={filterId} className="sr-only">
        Filter the reasons
      </label>
      <input
        id={filterId}
        type="search"
        placeholder="Filter reasons and policies…"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        data-testid="decision-reason-filter"
      />
      <ul className="reason-list">
        {shown.map((r) => (
          <li key={r.id} data-testid="decision-reason" data-reason={r.name}>
            <label className="check">
              <input type="checkbox" checked={chosen.includes(r.name)} onChange={(e) => onToggle(r, e.target.checked)} />{" "}
              <Visible text={r.name} />
              {r.policy && (
                <span className="muted">
                  {" "}
                  · <Visible text={r.policy.name} />
                </span>
              )}
            </label>
            {(r.policy?.text || r.canned_response) && (
              <details>
                <summary>Policy and response</summary>
                {r.policy?.text && (
                  <p>
                    <Visible text={r.policy.text} />
                  </p>
                )}
                {r.canned_response && (
                  <p className="muted">
                    <Visible text={r.canned_response} />
                  </p>
                )}
              </details>
            )}
          </li>
        ))}
        {shown.length === 0 && <li className="muted">No reason matches “{filter}”.</li>}
      </ul>
      {error}
    </fieldset>
  );
}
