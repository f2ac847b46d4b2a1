import type { ListChange } from "../bindings/ListChange";
import type { PermissionChanges } from "../bindings/PermissionChanges";

type ListKey = {
  [K in keyof PermissionChanges]: PermissionChanges[K] extends ListChange ? K : never;
}[keyof PermissionChanges];

const LISTS: Array<[ListKey, string]> = [
  ["permissions", "Permissions"],
  ["host_permissions", "Host permissions"],
  ["optional_permissions", "Optional permissions"],
  ["optional_host_permissions", "Optional host permissions"],
  ["content_script_matches", "Content script matches"],
  ["externally_connectable_matches", "Pages that may message it"],
  ["externally_connectable_ids", "Add-ons that may message it"],
  ["web_accessible_resources", "Web-accessible resources"],
];

function Items({ change }: { change: ListChange }) {
  return (
    <ul className="perm-items">
      {change.added.map((p) => (
        <li key={`+${p}`} className="perm-added">
          <span className="sr-only">added </span>+ {p}
        </li>
      ))}
      {change.removed.map((p) => (
        <li key={`-${p}`} className="perm-removed">
          <span className="sr-only">removed </span>− {p}
        </li>
      ))}
    </ul>
  );
}

/** What the add-on asks for that it did not before (and what it dropped), from the manifests. */
export function PermissionSummary({ changes }: { changes: PermissionChanges }) {
  const changed = LISTS.filter(([k]) => changes[k].added.length + changes[k].removed.length > 0);
  const csp = changes.content_security_policy;
  return (
    <section className="perm-summary" aria-label="Permission changes" data-testid="permission-summary">
      {changes.risks.length > 0 && (
        <ul className="risks" aria-label="Risks">
          {changes.risks.map((r, i) => (
            <li key={i}>
              <strong>{r.item}</strong>: {r.note}
            </li>
          ))}
        </ul>
      )}
      {csp && (
        <p className="perm-csp">
          Content security policy: <code>{csp.old ?? "(none)"}</code> → <code>{csp.new ?? "(none)"}</code>
        </p>
      )}
      {changed.length === 0 && !csp ? (
        <p className="muted">No permission or host-permission changes.</p>
      ) : (
        <dl>
          {changed.map(([k, label]) => (
            <div key={k} className="perm-group">
              <dt>{label}</dt>
              <dd>
                <Items change={changes[k]} />
              </dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}
