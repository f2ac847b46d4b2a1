// The names of the other reviewers who have the same add-on open, as AMO's review page says it.
import type { Viewer } from "../bindings/Viewer";

/** "Also open by Ada, Bo", or nothing when nobody else has it open. */
export function AlsoOpenBy({ viewers }: { viewers: Viewer[] | undefined }) {
  if (!viewers || viewers.length === 0) return null;
  const names = viewers.map((v) => v.name);
  const shown = names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
  return (
    <span className="also-open" title={`Also open by ${names.join(", ")}`} data-testid="also-open">
      Also open by {shown}
    </span>
  );
}
