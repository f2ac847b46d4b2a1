import { useCallback, useState } from "react";
import type { CapabilityDelta } from "../bindings/CapabilityDelta";
import type { Endpoint } from "../bindings/Endpoint";
import type { EndpointVia } from "../bindings/EndpointVia";
import type { LibraryFile } from "../bindings/LibraryFile";
import type { Location } from "../bindings/Location";
import type { PermissionStatus } from "../bindings/PermissionStatus";
import type { FactorPair } from "../bindings/FactorPair";
import type { Sink } from "../bindings/Sink";
import type { SinkKind } from "../bindings/SinkKind";
import { useCommand } from "../hooks/useCommand";
import { commands } from "../ipc";
import { Visible } from "./Visible";

const VIA: Record<EndpointVia, string> = {
  literal: "named in code",
  fetch: "fetch",
  xhr: "XMLHttpRequest",
  web_socket: "WebSocket",
  event_source: "EventSource",
  beacon: "sendBeacon",
  script_import: "script import",
  page: "page",
  style: "stylesheet",
  data: "data file",
  csp: "content security policy",
  manifest: "manifest",
};

const SINK: Record<SinkKind, string> = {
  eval: "eval() runs a string as code",
  function_constructor: "Function() builds code from a string",
  string_timer: "a timer runs a string as code",
  html_assignment: "HTML assigned from a non-literal value",
  html_insertion: "HTML inserted from a non-literal value",
  document_write: "document.write() writes markup",
  injected_code: "code injected into a tab as a string",
  remote_script: "a script loaded from the network",
  dynamic_script: "a script loaded from a computed address",
  web_assembly: "WebAssembly compiled or instantiated",
  native_messaging: "a native application is contacted",
  coin_miner: "coin-miner code",
};

const STATUS: Record<PermissionStatus, string> = {
  used: "used",
  unused: "declared, unused",
  undeclared: "used, not declared",
  only_optional: "used, only optional",
  not_checkable: "declared (no API to check)",
};

type Jump = (path: string, line: number) => void;

/** A fact's place as a button that shows that line of the newer version. */
function Place({ at, onJump, newer = true }: { at: Location; onJump: Jump; newer?: boolean }) {
  const label = (
    <>
      <Visible text={at.path} />:{at.line}
    </>
  );
  // Places in the older version are shown, not jumped to: the diff shows the newer file.
  if (!newer) return <span className="cap-place muted">{label}</span>;
  return (
    <button type="button" className="cap-place link-button" data-testid="cap-jump" onClick={() => onJump(at.path, at.line)}>
      {label}
    </button>
  );
}

function EndpointItem({ e, added, onJump }: { e: Endpoint; added: boolean; onJump: Jump }) {
  return (
    <li className={added ? "cap-added" : "cap-removed"} data-testid={added ? "cap-endpoint-added" : "cap-endpoint-removed"}>
      <span className="sr-only">{added ? "new " : "gone "}</span>
      {added ? "+ " : "− "}
      <strong>{e.host ? <Visible text={e.host} /> : "an address computed at run time"}</strong> <span className="muted">({VIA[e.via]})</span>{" "}
      <Place at={e.at} onJump={onJump} newer={added} />
      {e.url && (
        <>
          {" "}
          <code className="cap-code">
            <Visible text={e.url} />
          </code>
        </>
      )}
    </li>
  );
}

function SinkItem({ s, added, onJump }: { s: Sink; added: boolean; onJump: Jump }) {
  return (
    <li className={added ? "cap-added" : "cap-removed"} data-testid={added ? "cap-sink-added" : "cap-sink-removed"}>
      <span className="sr-only">{added ? "new " : "gone "}</span>
      {added ? "+ " : "− "}
      {SINK[s.kind]} <Place at={s.at} onJump={onJump} newer={added} />{" "}
      <code className="cap-code">
        <Visible text={s.code} />
      </code>
    </li>
  );
}

function LibraryItem({ l, added, onJump }: { l: LibraryFile; added: boolean; onJump: Jump }) {
  const name = `${l.package} ${l.version}`;
  if (l.state !== "modified") {
    return (
      <li className="muted" data-testid="cap-library">
        {added ? "+ " : "− "}
        <Visible text={name} />, unmodified{l.state === "same_code" ? " (apart from whitespace and comments)" : ""}:{" "}
        <Visible text={l.path} />
      </li>
    );
  }
  return (
    <li className="cap-added" data-testid="cap-library-modified">
      <details>
        <summary>
          {added ? "+ " : "− "}
          <strong>
            <Visible text={name} />, modified
          </strong>{" "}
          (+{l.added} −{l.removed} lines against its npm file <Visible text={l.upstream_path} />):{" "}
          <Place at={{ path: l.path, line: 1, column: 1 }} onJump={onJump} newer={added} />
        </summary>
        <pre className="cap-diff" data-testid="cap-library-diff">
          {l.upstream_diff.map((line, i) => (
            <span key={i} className={line.startsWith("+") && !line.startsWith("+++") ? "plus" : line.startsWith("-") && !line.startsWith("---") ? "minus" : undefined}>
              <Visible text={line} />
              {"\n"}
            </span>
          ))}
        </pre>
      </details>
    </li>
  );
}

function RiskTable({ factors }: { factors: FactorPair[] }) {
  if (factors.length === 0) return <p className="muted">No risk factor applies to either version.</p>;
  return (
    <table className="cap-risk" data-testid="cap-risk">
      <thead>
        <tr>
          <th scope="col">Factor (AMO&apos;s weight)</th>
          <th scope="col">Older</th>
          <th scope="col">Newer</th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        {factors.map((f) => (
          <tr key={f.name} className={f.new > f.old ? "cap-up" : undefined}>
            <th scope="row">{f.name}</th>
            <td>{f.old}</td>
            <td>{f.new}</td>
            <td>{f.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The one-line summary of a delta, read before anything is unfolded. */
export function capabilitySummary(d: CapabilityDelta): string {
  const parts: string[] = [];
  const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const hosts = d.endpoints.added.filter((e) => e.host).length;
  if (hosts > 0) parts.push(count(hosts, "new endpoint", "new endpoints"));
  if (d.sinks.added.length > 0) parts.push(count(d.sinks.added.length, "new sink", "new sinks"));
  const perms = d.permissions.filter((p) => p.new === "undeclared" || p.new === "only_optional" || (p.new === "used" && p.old !== "used")).length;
  if (perms > 0) parts.push(count(perms, "permission newly used", "permissions newly used"));
  if (d.uncovered_hosts.length > 0) parts.push(count(d.uncovered_hosts.length, "host without permission", "hosts without permission"));
  if (d.obfuscation.length > 0) parts.push(count(d.obfuscation.length, "file newly obfuscated", "files newly obfuscated"));
  const modified = d.libraries.added.filter((l) => l.state === "modified").length;
  if (modified > 0) parts.push(count(modified, "modified library", "modified libraries"));
  return parts.length > 0 ? parts.join(" · ") : "nothing new in what it can do";
}

/**
 * "What changed in capability" at the top of the review: the new version's risk weight factor
 * by factor beside the older one's, then what it can do that the older could not (new hosts,
 * sinks, permissions put to use, obfuscation, modified library copies) and what it no longer
 * does, each fact a button to its line. Computed in the background after the review opens.
 * Folded to its summary line until the reviewer opens it, so the diff keeps its room.
 */
export function CapabilityPanel({ pair, onJump }: { pair: [number, number]; onJump: Jump }) {
  const [old, next] = pair;
  const load = useCallback(() => commands.capabilityDelta(old, next), [old, next]);
  const delta = useCommand<CapabilityDelta>(load);
  // A reply for another pair is never shown (the hook keeps the last reply while reloading).
  const d = delta.data;
  const [open, setOpen] = useState(false);
  // A jump folds the panel, so the line it shows has the room.
  const jump: Jump = (path, line) => {
    setOpen(false);
    onJump(path, line);
  };
  return (
    <section className="capability-panel" aria-label="What changed in capability" data-testid="capability-panel" data-state={delta.status}>
      <details open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary data-testid="cap-toggle">
          <strong>What changed in capability</strong>{" "}
          {delta.busy && !d && <span className="muted">reading both versions…</span>}
          {d && (
            <span data-testid="cap-summary">
              risk weight {d.old_risk.weight} → <strong className={d.new_risk.weight > d.old_risk.weight ? "minus" : undefined}>{d.new_risk.weight}</strong>: {capabilitySummary(d)}
            </span>
          )}
        </summary>
        {delta.error && (
          <p role="alert" className="error" data-testid="cap-error">
            {delta.error.message}
          </p>
        )}
        {d && (
          <div className="cap-body">
            <RiskTable factors={d.risk_factors} />
            {!d.endpoints.added.length && !d.endpoints.removed.length ? null : (
              <>
                <h4>Endpoints</h4>
                <ul className="cap-list">
                  {d.endpoints.added.map((e, i) => (
                    <EndpointItem key={`a${i}`} e={e} added onJump={jump} />
                  ))}
                  {d.endpoints.removed.map((e, i) => (
                    <EndpointItem key={`r${i}`} e={e} added={false} onJump={jump} />
                  ))}
                </ul>
              </>
            )}
            {!d.sinks.added.length && !d.sinks.removed.length ? null : (
              <>
                <h4>Dangerous sinks</h4>
                <ul className="cap-list">
                  {d.sinks.added.map((s, i) => (
                    <SinkItem key={`a${i}`} s={s} added onJump={jump} />
                  ))}
                  {d.sinks.removed.map((s, i) => (
                    <SinkItem key={`r${i}`} s={s} added={false} onJump={jump} />
                  ))}
                </ul>
              </>
            )}
            {d.permissions.length > 0 && (
              <>
                <h4>Permissions against the code</h4>
                <ul className="cap-list">
                  {d.permissions.map((p) => (
                    <li key={p.permission} data-testid="cap-permission">
                      <strong>
                        <Visible text={p.permission} />
                      </strong>
                      : {p.old ? STATUS[p.old] : "absent"} → {p.new ? STATUS[p.new] : "absent"}{" "}
                      {p.used_at[0] && <Place at={p.used_at[0]} onJump={jump} />}
                    </li>
                  ))}
                </ul>
              </>
            )}
            {d.uncovered_hosts.length > 0 && (
              <>
                <h4>Newly contacted without a host permission</h4>
                <ul className="cap-list">
                  {d.uncovered_hosts.map((h) => (
                    <li key={h.host} className="cap-added">
                      + <Visible text={h.host} /> <Place at={h.first} onJump={jump} />
                    </li>
                  ))}
                </ul>
              </>
            )}
            {d.obfuscation.length > 0 && (
              <>
                <h4>Obfuscation</h4>
                <ul className="cap-list">
                  {d.obfuscation.map((m) => (
                    <li key={m.path} className="cap-added" data-testid="cap-obfuscation">
                      <Place at={{ path: m.path, line: 1, column: 1 }} onJump={jump} />: {m.indicators.join("; ")}
                    </li>
                  ))}
                </ul>
              </>
            )}
            {!d.libraries.added.length && !d.libraries.removed.length ? null : (
              <>
                <h4>Libraries</h4>
                <ul className="cap-list">
                  {d.libraries.added.map((l) => (
                    <LibraryItem key={`a${l.path}`} l={l} added onJump={jump} />
                  ))}
                  {d.libraries.removed.map((l) => (
                    <LibraryItem key={`r${l.path}`} l={l} added={false} onJump={jump} />
                  ))}
                </ul>
              </>
            )}
            {d.new.token_read.length > 0 && (
              <p className="muted" data-testid="cap-token-read">
                Read token by token (the parser refused them): {d.new.token_read.map((t) => t.path).join(", ")}
              </p>
            )}
          </div>
        )}
      </details>
    </section>
  );
}
