import type { DiffLayout } from "../bindings/DiffLayout";
import type { Whitespace } from "../bindings/Whitespace";
import { AccountForm } from "../components/AccountForm";
import { RetentionSettings } from "../components/RetentionSettings";
import { RulesSettings } from "../components/RulesSettings";
import { ViewFrame } from "../components/ViewFrame";
import { useAppInfo } from "../hooks/useAppInfo";
import { usePrefs, type Theme } from "../hooks/usePrefs";

/** The review server and account, appearance and diff preferences, and the facts about this
 * build and its cache. */
export function SettingsView() {
  const info = useAppInfo();
  const [prefs, setPrefs] = usePrefs();
  return (
    <ViewFrame id="settings" title="Settings">
      <AccountForm />
      <h2>Appearance and diffs</h2>
      <div className="settings-form">
        <label htmlFor="pref-theme">Theme</label>
        <select
          id="pref-theme"
          data-testid="pref-theme"
          value={prefs.theme}
          onChange={(e) => setPrefs({ theme: e.target.value as Theme })}
        >
          <option value="system">Follow the system</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
        <label htmlFor="pref-layout">Diff layout</label>
        <select
          id="pref-layout"
          value={prefs.layout}
          onChange={(e) => setPrefs({ layout: e.target.value as DiffLayout })}
        >
          <option value="unified">Unified</option>
          <option value="split">Side by side</option>
        </select>
        <label htmlFor="pref-whitespace">Whitespace</label>
        <select
          id="pref-whitespace"
          value={prefs.whitespace}
          onChange={(e) => setPrefs({ whitespace: e.target.value as Whitespace })}
        >
          <option value="all">Show all whitespace changes</option>
          <option value="ignore_trailing">Ignore trailing whitespace</option>
          <option value="ignore_all">Ignore all whitespace</option>
        </select>
        <label htmlFor="pref-wrap">Long lines</label>
        <select
          id="pref-wrap"
          value={prefs.wrap ? "wrap" : "scroll"}
          onChange={(e) => setPrefs({ wrap: e.target.value === "wrap" })}
        >
          <option value="scroll">Scroll horizontally</option>
          <option value="wrap">Wrap</option>
        </select>
        <label htmlFor="pref-advance">After a decision</label>
        <select
          id="pref-advance"
          data-testid="pref-advance"
          value={prefs.advance ? "next" : "stay"}
          onChange={(e) => setPrefs({ advance: e.target.value === "next" })}
        >
          <option value="next">Open the queue's next undecided entry</option>
          <option value="stay">Stay on the decided version</option>
        </select>
      </div>
      <RulesSettings />
      <RetentionSettings />
      <h2>About this installation</h2>
      {info.status === "loading" && <p aria-busy="true">Reading the local cache…</p>}
      {info.status === "error" && (
        <p role="alert" className="error" data-testid="app-info-error">
          Could not read the local cache: {info.error.message}
        </p>
      )}
      {info.status === "ok" && (
        <dl className="facts" data-testid="app-info">
          <dt>Version</dt>
          <dd data-testid="app-info-version">{info.data.version}</dd>
          <dt>Data folder</dt>
          <dd data-testid="app-info-data-dir">{info.data.data_dir}</dd>
          <dt>Cache schema</dt>
          <dd data-testid="app-info-schema">{info.data.schema_version}</dd>
        </dl>
      )}
    </ViewFrame>
  );
}
