// DOM and formatting helpers for the Command Center. No markup strings anywhere: every value from the
// API is set as text, so nothing a caller or CRM user typed can become markup.

/**
 * h builds an element. props: class, testid (data-testid), data (dataset), on ({event: fn}),
 * text, and DOM properties (value, checked, disabled, hidden, type, …) or attributes.
 * Children are nodes, strings or arrays of them; null and false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'testid') el.dataset.testid = v;
    else if (k === 'data') Object.assign(el.dataset, v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'text') el.textContent = v;
    else if (k in el && !(el instanceof SVGElement) && k !== 'list' && k !== 'form') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** replace empties node and appends the children. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const $ = (id) => document.getElementById(id);

/** isZeroTime reports whether an RFC 3339 time is absent or Go's zero time. */
export function isZeroTime(iso) {
  return !iso || iso.startsWith('0001-01-01');
}

/** relTime: "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago" (or "in …"). */
export function relTime(iso, now = Date.now()) {
  if (isZeroTime(iso)) return 'never';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = Math.round((now - t) / 1000);
  const s = Math.abs(diff);
  if (s < 5) return 'just now';
  let v;
  if (s < 60) v = `${s} s`;
  else if (s < 3600) v = `${Math.floor(s / 60)} min`;
  else if (s < 86400) v = `${Math.floor(s / 3600)} h`;
  else v = `${Math.floor(s / 86400)} d`;
  return diff < 0 ? `in ${v}` : `${v} ago`;
}

/** clock formats seconds as m:ss or h:mm:ss (a running timer). */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const p = (n) => String(n).padStart(2, '0');
  return hh > 0 ? `${hh}:${p(mm)}:${p(ss)}` : `${mm}:${p(ss)}`;
}

/** humanSeconds: "45 s", "3 min", "2 h 5 min"; "—" for null. */
export function humanSeconds(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return '—';
  s = Math.round(s);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  const hh = Math.floor(s / 3600), mm = Math.round((s % 3600) / 60);
  return mm ? `${hh} h ${mm} min` : `${hh} h`;
}

/** dateTime formats a time for a tooltip or a table, in the browser's locale. */
export function dateTime(iso) {
  if (isZeroTime(iso)) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function timeOfDay(iso) {
  if (isZeroTime(iso)) return '';
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** maskPhone keeps the first three and the last three characters: "+91•••••••210". */
export function maskPhone(n) {
  if (!n) return '';
  const s = String(n).replace(/\s+/g, '');
  if (s.length <= 6) return '•'.repeat(s.length);
  return s.slice(0, 3) + '•'.repeat(s.length - 6) + s.slice(-3);
}

/** percent formats a 0..1 ratio; "—" when absent. */
export function percent(r) {
  if (r === null || r === undefined || Number.isNaN(r)) return '—';
  return `${Math.round(r * 100)}%`;
}

/** startOfToday is local midnight, as an RFC 3339 string. */
export function startOfToday() {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.toISOString();
}

/** dateInput gives the yyyy-mm-dd value of a date input for a Date, in local time. */
export function dateInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** fromDateInput turns a date input's value into local midnight (end: the next midnight) as RFC 3339. */
export function fromDateInput(v, end = false) {
  if (!v) return '';
  const [y, m, d] = v.split('-').map(Number);
  const t = new Date(y, m - 1, d + (end ? 1 : 0));
  return Number.isNaN(t.getTime()) ? '' : t.toISOString();
}
