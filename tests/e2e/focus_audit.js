// Focuses every control of the page that a keyboard can reach and reports each one whose focus
// is not clearly visible: no outline (or box-shadow ring) while focused, a ring under 3:1
// contrast against the colour behind it (WCAG 2.2, 1.4.11), or a ring clipped by a scrolling
// ancestor. Run after a real Tab press, so that focus moved by script counts as keyboard focus.
const problems = [];
// Focus goes back where it was before the Tab (kept by the caller), so the test's next keys
// reach what they reached before.
const before = window.__vetterFocusBefore;
const seen = new Set();
const parse = (c) => {
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const lum = ({ r, g, b }) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
const behind = (el) => {
  for (let e = el.parentElement; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a > 0.5) return c;
  }
  return parse(getComputedStyle(document.documentElement).backgroundColor) || { r: 255, g: 255, b: 255 };
};
const name = (el) => {
  const id = el.getAttribute('data-testid');
  const text = (el.getAttribute('aria-label') || el.textContent || '').trim().slice(0, 30);
  return `${el.tagName.toLowerCase()}${id ? `[data-testid=${id}]` : ''} "${text}"`;
};
const controls = [...document.querySelectorAll(
  'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])'
)].filter((el) => {
  if (el.disabled || el.closest('[hidden], [inert]')) return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden';
});
for (const el of controls) {
  el.focus();
  if (document.activeElement !== el) continue;
  const s = getComputedStyle(el);
  const width = parseFloat(s.outlineWidth) || 0;
  const ring = s.outlineStyle !== 'none' && width >= 2;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  let problem = null;
  if (!ring && !shadow) problem = `no focus ring (outline ${s.outlineStyle} ${s.outlineWidth})`;
  else if (ring) {
    const color = parse(s.outlineColor);
    const offset = parseFloat(s.outlineOffset) || 0;
    const back = offset >= 0 ? behind(el) : parse(s.backgroundColor) || behind(el);
    const ratio = color ? contrast(color, back) : 0;
    if (ratio < 3) problem = `focus ring contrast ${ratio.toFixed(2)}:1 (${s.outlineColor} on rgb(${back.r}, ${back.g}, ${back.b}))`;
    const out = Math.max(0, offset + width);
    const r = el.getBoundingClientRect();
    for (let a = el.parentElement; a && !problem; a = a.parentElement) {
      const st = getComputedStyle(a);
      if (st.overflowX === 'visible' && st.overflowY === 'visible') continue;
      const b = a.getBoundingClientRect();
      const inner = { left: b.left + a.clientLeft, top: b.top + a.clientTop };
      inner.right = inner.left + a.clientWidth;
      inner.bottom = inner.top + a.clientHeight;
      // An element larger than its scroller cannot be shown whole; its ring is not judged.
      if (r.width > a.clientWidth || r.height > a.clientHeight) continue;
      const cut = [
        r.left - out < inner.left - 0.5 && 'left',
        r.right + out > inner.right + 0.5 && 'right',
        r.top - out < inner.top - 0.5 && 'top',
        r.bottom + out > inner.bottom + 0.5 && 'bottom',
      ].filter(Boolean);
      if (cut.length) {
        problem = `focus ring cut at the ${cut.join(', ')} by ${a.tagName.toLowerCase()}${[...a.classList].map((c) => `.${c}`).join('')}`;
      }
    }
  }
  if (problem) {
    const key = `${name(el)}: ${problem}`;
    if (!seen.has(key)) { seen.add(key); problems.push(key); }
  }
}
if (before && before !== document.body && before.focus) before.focus();
else if (document.activeElement) document.activeElement.blur();
delete window.__vetterFocusBefore;
return { controls: controls.length, problems };
