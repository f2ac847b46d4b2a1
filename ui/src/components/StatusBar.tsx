/** The state of the link to the review server. */
export type Connection = "online" | "offline" | "no-server";

/** What the status bar reports about the connection to the review server. */
export type StatusBarProps = {
  /** The configured server URL, or null before the reviewer sets one. */
  server: string | null;
  /** Whether the server is reachable, or none is configured. */
  connection: Connection;
  /** When the last sync finished (ISO 8601), or null if never. */
  lastSync: string | null;
  /** The account's secrets live in memory for this run only (no OS keyring). */
  sessionOnly?: boolean;
};

const CONNECTION_LABEL: Record<Connection, string> = {
  online: "Online",
  offline: "Offline",
  "no-server": "Offline (no server)",
};

/** The bottom bar: server, online/offline, last sync. */
export function StatusBar({ server, connection, lastSync, sessionOnly = false }: StatusBarProps) {
  return (
    <div className="statusbar" role="status" aria-label="Connection status">
      <span data-testid="status-server">Server: {server ?? "none configured"}</span>
      <span data-testid="status-online" className={`connection ${connection}`}>
        <span className="dot" aria-hidden="true" />
        {CONNECTION_LABEL[connection]}
      </span>
      {sessionOnly && <span data-testid="status-session-only">Account: this session only (no keyring)</span>}
      <span data-testid="status-last-sync">
        Last sync: {lastSync ? new Date(lastSync).toLocaleString() : "never"}
      </span>
    </div>
  );
}
