import { useEffect, useState, type ReactNode } from "react";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { Sidebar } from "./components/Sidebar";
import { StatusBar, type Connection } from "./components/StatusBar";
import { loginAtLaunch, useServer } from "./hooks/useServer";
import { bindingFor } from "./lib/keys";
import { navigate, useNavigation, type ViewId } from "./lib/navigation";
import { OutboxView } from "./views/OutboxView";
import { QueuesView } from "./views/QueuesView";
import { ReviewView } from "./views/ReviewView";
import { SearchView } from "./views/SearchView";
import { SettingsView } from "./views/SettingsView";

// The review view is absent here: it stays mounted (see App) so that an open review, its
// scroll position and its search survive a trip to another view.
const RENDER: Record<Exclude<ViewId, "review">, () => ReactNode> = {
  queues: () => <QueuesView />,
  outbox: () => <OutboxView />,
  search: () => <SearchView />,
  settings: () => <SettingsView />,
};

/** Whether the OS reports a network; the server check joins this once sync exists. */
function useNetworkOnline(): boolean {
  const [online, setOnline] = useState(() => navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    };
  }, []);
  return online;
}

/** Offline when the OS has no network or the server did not answer the last time it was asked. */
function connectionState(server: string | null, networkOnline: boolean, reachable: boolean | null): Connection {
  if (server === null) return "no-server";
  return networkOnline && reachable !== false ? "online" : "offline";
}

/** The app frame: sidebar, the current view, and the status bar. */
export function App() {
  const { view } = useNavigation();
  const networkOnline = useNetworkOnline();
  const { status, reachable, keptIn } = useServer();
  const server = status?.server ?? null;
  useEffect(() => {
    void loginAtLaunch();
  }, []);

  // Alt+1…5 switch views from anywhere, the way tabs do in most desktop apps.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const b = bindingFor("app", e);
      if (b) {
        e.preventDefault();
        navigate({ view: b.does });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => {
        e.preventDefault();
        document.getElementById("main")?.focus();
      }}>
        Skip to content
      </a>
      <Sidebar current={view} onSelect={(to) => navigate({ view: to })} />
      <main id="main" tabIndex={-1}>
        {keptIn?.kind === "session" && (
          <p className="session-notice" role="note" data-testid="session-only">
            Logged in for this session only: no OS keyring could be used, so the credential is kept in
            memory, never written to disk, and is gone when Vetter quits. Why: {keptIn.why}
          </p>
        )}
        {view !== "review" && <ErrorBoundary view={view}>{RENDER[view]()}</ErrorBoundary>}
        <div className="view-slot" hidden={view !== "review"}>
          <ErrorBoundary view="review">
            <ReviewView active={view === "review"} />
          </ErrorBoundary>
        </div>
      </main>
      <StatusBar
        server={server}
        connection={connectionState(server, networkOnline, reachable)}
        lastSync={status?.last_sync ?? null}
        sessionOnly={keptIn?.kind === "session"}
      />
    </div>
  );
}
