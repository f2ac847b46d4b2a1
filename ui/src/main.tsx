import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { applyTheme, loadPrefs } from "./hooks/usePrefs";
import "./styles.css";

applyTheme(loadPrefs().theme);

// A control reached by the keyboard is scrolled fully into view, its focus ring included:
// WebKit's own focus scrolling stops at the control's edge (ignoring scroll-margin), which
// leaves the ring cut off at the bottom of a scrolling list.
const CONTROLS = "a, button, input, select, textarea, summary, [tabindex]";
document.addEventListener("focusin", (e) => {
  const t = e.target;
  if (t instanceof HTMLElement && t.matches(CONTROLS) && t.matches(":focus-visible")) {
    t.scrollIntoView({ block: "nearest", inline: "nearest" });
  }
});

const root = document.getElementById("root");
if (!root) throw new Error("index.html lost its #root element");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
