// The manager API client: JSON in and out, errors as ApiError. Requests go with the session
// cookie (credentials "same-origin"); a token from the token sign-in, if any, is added as
// "Authorization: Bearer". The token lives in sessionStorage only (this tab, until sign-out).

const TOKEN_KEY = 'leadcall.token';

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.field = field || '';
  }
  /** missing: the route is not on this server (yet). */
  get missing() { return this.status === 404 && (this.code === 'not_found' || this.code === ''); }
}

export function getToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

export function setToken(tok) {
  try {
    if (tok) sessionStorage.setItem(TOKEN_KEY, tok);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch { /* storage disabled: the token works for this page only */ }
}

let onUnauthorized = () => {};
/** whenUnauthorized sets what happens when a request answers 401 (the session ended). */
export function whenUnauthorized(fn) { onUnauthorized = fn; }

/** api sends one request; body (if any) is sent as JSON. Resolves to the parsed JSON or null. */
export async function api(method, path, body, { quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  const tok = getToken();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check the connection.');
  }
  if (res.status === 204) return null;
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(res.status, e.code, e.message, e.field);
    if (res.status === 401 && !quiet401) onUnauthorized(err);
    throw err;
  }
  return data;
}

/** query builds "?a=1&b=2" from the non-empty values of obj. */
export function query(obj) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '') continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** items reads a list answer, whether a bare array or a page {items} or {cases}. */
export function items(data, key = 'items') {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}
