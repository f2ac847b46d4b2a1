import { useEffect, useState, type FormEvent } from "react";
import { refreshServerStatus, useServer } from "../hooks/useServer";
import { useCommand } from "../hooks/useCommand";
import { flowCommands } from "../ipc";
import type { LoginOutcome } from "../bindings/LoginOutcome";

/** What a login did, in words: a plain AMO takes no keys and no decisions over its API. */
export function loginSummary(outcome: LoginOutcome): string {
  const made = outcome.key_created ? "created and " : "";
  if (outcome.kind === "amo") {
    return (
      `Logged in as ${outcome.api_key}; signing key ${made}kept on this computer. ` +
      "This server is a plain AMO: open add-ons with Open from AMO; decisions are signed and kept here, " +
      "with a comment to paste on its review page."
    );
  }
  return `Logged in as ${outcome.api_key}; signing key ${made}registered.`;
}

/**
 * The review server and the reviewer's account. The API secret lives only in the password field
 * until the form is submitted: it is sent to the OS keyring through `login` and the field is
 * emptied whatever the outcome, so no secret stays in the page's state.
 */
export function AccountForm() {
  const server = useServer();
  const status = server.status;
  // Null until the reviewer types: the remembered server fills the field meanwhile.
  const [typedUrl, setUrl] = useState<string | null>(null);
  const url = typedUrl ?? status?.server ?? "";
  const [apiKey, setApiKey] = useState("");
  const login = useCommand<LoginOutcome>();
  const logout = useCommand<number>();
  const busy = login.busy ? "login" : logout.busy ? "logout" : null;
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  useEffect(() => {
    void refreshServerStatus();
  }, []);

  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const secretField = form.elements.namedItem("api-secret") as HTMLInputElement | null;
    // Read straight from the field (never React state) and clear it at once.
    const secret = secretField?.value ?? "";
    if (secretField) secretField.value = "";
    if (!url.trim() || !apiKey.trim() || !secret) {
      setMessage({ ok: false, text: "Enter the server URL, the API key and the API secret." });
      return;
    }
    setMessage(null);
    // Say "logged in" only once the account facts above show the new account and key.
    const call = () =>
      flowCommands.login(url.trim(), apiKey.trim(), secret).then((outcome) => refreshServerStatus().then(() => outcome));
    void login.run(call).then((r) => {
      if (r.status === "ok") setMessage({ ok: true, text: loginSummary(r.data) });
      else if (r.status === "error") setMessage({ ok: false, text: r.error.message });
    });
  };

  const signOut = () => {
    setMessage(null);
    void logout.run(() => flowCommands.logout()).then((r) => {
      if (r.status === "ok") {
        setMessage({ ok: true, text: `Logged out: ${r.data} secrets removed from the OS keyring.` });
        void refreshServerStatus();
      } else if (r.status === "error") setMessage({ ok: false, text: r.error.message });
    });
  };

  const loggedIn = Boolean(status?.api_key);
  return (
    <>
      <h2>Review server</h2>
      <dl className="facts" data-testid="account-status">
        <dt>Server</dt>
        <dd data-testid="account-server">{status?.server ?? "none yet"}</dd>
        <dt>Account</dt>
        <dd data-testid="account-key">{status?.api_key ? `API key ${status.api_key}` : "not logged in"}</dd>
        <dt>Signing key</dt>
        <dd data-testid="account-kid" className="mono">
          {status?.kid ?? "none yet (made at the first login)"}
        </dd>
      </dl>
      <form className="settings-form" onSubmit={submit} aria-label="Log in to a review server" autoComplete="off">
        <label htmlFor="login-server">Server URL</label>
        <input
          id="login-server"
          data-testid="login-server"
          type="url"
          spellCheck={false}
          placeholder="http://127.0.0.1:8787"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
        />
        <label htmlFor="login-key">API key</label>
        <input
          id="login-key"
          data-testid="login-key"
          type="text"
          spellCheck={false}
          placeholder="user:1234:5"
          value={apiKey}
          onChange={(e) => setApiKey(e.target.value)}
        />
        <label htmlFor="login-secret">API secret</label>
        <input id="login-secret" name="api-secret" data-testid="login-secret" type="password" autoComplete="off" />
        <span />
        <span className="button-row">
          <button type="submit" data-testid="login-button" disabled={busy !== null}>
            {busy === "login" ? "Logging in…" : "Log in"}
          </button>{" "}
          <button type="button" data-testid="logout-button" onClick={signOut} disabled={busy !== null || !loggedIn}>
            {busy === "logout" ? "Logging out…" : "Log out"}
          </button>
        </span>
      </form>
      <p className="muted">
        The API key and secret, and your signing key, are kept only in the OS keyring.
      </p>
      {message && (
        <p role={message.ok ? "status" : "alert"} className={message.ok ? "" : "error"} data-testid="login-message">
          {message.text}
        </p>
      )}
    </>
  );
}
