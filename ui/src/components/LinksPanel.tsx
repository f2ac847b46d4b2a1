import type { LinkReport } from "../bindings/LinkReport";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";
import { Visible } from "./Visible";

/**
 * Other cached add-ons that share files (same sha256) or near-identical code with the one under
 * review, in the core's order: rare evidence first, add-ons linked only by popular libraries last.
 * Looked up on request, since the first lookup after an import sketches the new files.
 */
export function LinksPanel({ guid }: { guid: string }) {
  // The reply names the add-on it is about, so a report of the previous add-on is never shown.
  const links = useCommand<{ guid: string; report: LinkReport }>();
  const busy = links.busy;
  const error = links.error?.message ?? null;
  const look = () => void links.run(() => commands.addonLinks(guid).then((report) => ({ guid, report })));
  const shown = links.data && links.data.guid === guid ? links.data.report : null;

  return (
    <section className="audit-panel" aria-label="Linked add-ons" data-testid="links-panel">
      <h3>Linked add-ons</h3>
      <button type="button" data-testid="links-run" onClick={look} disabled={busy}>
        {busy ? "Looking…" : shown ? "Look again" : "Find linked add-ons"}
      </button>
      {error && (
        <p role="alert" className="error" data-testid="links-error">
          {error}
        </p>
      )}
      {shown && shown.links.length === 0 && (
        <p className="muted" data-testid="links-none">
          No other cached add-on ({shown.addons_in_cache - 1} others) shares files or code with this one.
        </p>
      )}
      {shown && shown.links.length > 0 && (
        <ol className="links-list" data-testid="links-list">
          {shown.links.map((l) => (
            <li key={l.guid} data-testid="link" className={l.linked ? "linked" : "library-only"}>
              <strong>{l.name}</strong> <span className="muted">{l.guid}</span>{" "}
              <span className={l.linked ? "error" : "muted"}>
                {l.linked ? "linked" : "shared libraries only"} · score {l.score.toFixed(2)}
              </span>
              <ul>
                {l.shared_files.map((f) => (
                  <li key={`${f.path}\u0000${f.other_path}`}>
                    same bytes: <Visible text={f.path} />
                    {f.other_path !== f.path ? (
                      <>
                        {" = "}
                        <Visible text={f.other_path} />
                      </>
                    ) : (
                      ""
                    )}{" "}
                    ({f.size} bytes)
                    {f.library && (
                      <span className="muted">
                        {" "}
                        · library, in {f.addons_with_it} add-ons
                      </span>
                    )}
                  </li>
                ))}
                {l.near_duplicates.map((d) => (
                  <li key={`${d.path}\u0000${d.other_path}`}>
                    near-identical code ({Math.round(d.similarity * 100)}%): <Visible text={d.path} /> ~{" "}
                    <Visible text={d.other_path} />
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      )}
      {shown && (
        <p className="muted">
          A file held by {shown.library_threshold} or more of the {shown.addons_in_cache} cached add-ons counts as a
          library.
        </p>
      )}
    </section>
  );
}
