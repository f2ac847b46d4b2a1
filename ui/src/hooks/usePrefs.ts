import { useCallback, useEffect, useState } from "react";
import type { DiffLayout } from "../bindings/DiffLayout";
import type { Whitespace } from "../bindings/Whitespace";

/** The colour theme: follow the OS, or force one. */
export type Theme = "system" | "light" | "dark";

/** The reviewer's display preferences, kept in the webview's local storage. */
export type Prefs = {
  theme: Theme;
  layout: DiffLayout;
  wrap: boolean;
  whitespace: Whitespace;
  /** After a decision, open the queue's next undecided entry. */
  advance: boolean;
};

const KEY = "vetter.prefs";
const DEFAULTS: Prefs = { theme: "system", layout: "unified", wrap: false, whitespace: "all", advance: true };
const EVENT = "vetter-prefs";

/** Reads the stored preferences, falling back field by field to the defaults. */
export function loadPrefs(): Prefs {
  try {
    const raw = JSON.parse(window.localStorage.getItem(KEY) ?? "{}") as Partial<Prefs>;
    return {
      theme: raw.theme === "light" || raw.theme === "dark" ? raw.theme : DEFAULTS.theme,
      layout: raw.layout === "split" ? "split" : DEFAULTS.layout,
      wrap: raw.wrap === true,
      whitespace:
        raw.whitespace === "ignore_trailing" || raw.whitespace === "ignore_all" ? raw.whitespace : DEFAULTS.whitespace,
      advance: raw.advance !== false,
    };
  } catch {
    return DEFAULTS;
  }
}

/** Applies the theme to the document: `data-theme` overrides the OS's choice in the CSS. */
export function applyTheme(theme: Theme) {
  if (theme === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

/** The preferences and a setter; every user of the hook sees changes made by any other. */
export function usePrefs(): [Prefs, (change: Partial<Prefs>) => void] {
  const [prefs, setPrefs] = useState<Prefs>(loadPrefs);
  useEffect(() => {
    const onChange = () => setPrefs(loadPrefs());
    window.addEventListener(EVENT, onChange);
    return () => window.removeEventListener(EVENT, onChange);
  }, []);
  const update = useCallback((change: Partial<Prefs>) => {
    const next = { ...loadPrefs(), ...change };
    window.localStorage.setItem(KEY, JSON.stringify(next));
    applyTheme(next.theme);
    window.dispatchEvent(new Event(EVENT));
  }, []);
  return [prefs, update];
}
