// leadcall Command Center: a single page over the manager API and the live stream.
//
// Stable data-testid attributes (browser tests and scripts rely on them; change them only with
// the tests):
//
//   booting, login-screen, login-form, login-email, login-password, login-submit, login-error,
//   token-login, token-form, login-token, token-submit
//   shell, nav-<view> (command, calls, review, recovery, reports, owners, backfill, settings),
//   view-<view>, stream-status (data-state = connecting | live | reconnecting,
//   data-last-event-id, data-opens = connections opened so far, data-url = path and query of
//   the current connection), whoami, logout, toasts, toast, review-badge, unavailable (a screen whose
//   API route is not on this server)
//   Command Center: stats, stat-<key>, incomplete-banner, device-search, device-filter,
//   device-period (today | 7d | 30d: the period of the call counts), device-add, device-grid, device-card (data-device-id, data-online, data-incomplete),
//   device-dot (data-online = true | false), device-name, device-kind, device-rep,
//   device-assignment, device-calls-today (data-total: calls in the period), device-last-seen, device-flag (data-flag)
//   Device panel: device-panel (data-device-id), panel-title, panel-close, panel-nickname,
//   panel-kind, panel-rep, panel-active, panel-save, panel-lead-source, panel-meta-row,
//   panel-meta-key, panel-meta-value, panel-meta-add, panel-assign-save, panel-assignment
//   (the open assignment), panel-history, panel-calls, panel-call, panel-warnings,
//   panel-pairing, pairing-code
//   Calls: call-filters, calls-from, calls-to, calls-device, calls-type, calls-apply,
//   calls-export (href = GET /v1/calls.csv with the filters), call-log, call-row
//   (data-call-id, data-device-id, data-type), call-number, call-status, calls-empty, calls-more
//   Review: review-list, review-item (data-review-id, data-status = open | resolved | busy),
//   review-action (data-action, data-record-id), review-empty
//   Recovery: recovery-summary, recovery-board, recovery-row (data-key, data-breached),
//   recovery-timer
//   Reports: report-form, report-from, report-to, report-group, report-apply, report-body,
//   report-table, chart-volume, chart-recovery
//   Owners: owner-table, owner-row (data-rep-id, data-crm-user-id once saved), owner-select,
//   rep-form, rep-name, rep-email, rep-submit
//   Backfill: backfill-body, backfill-form, backfill-from, backfill-to, backfill-device,
//   backfill-preview, backfill-preview-result, backfill-run, backfill-progress (data-done,
//   data-total), backfill-status
//   Team: team-body, user-table, user-row (data-user-id, data-disabled), user-toggle, user-form,
//   user-email, user-name, user-role, user-rep, user-password, user-submit, api-token-table,
//   api-token-row (data-token-id), api-token-revoke, api-token-form, api-token-name,
//   api-token-days, api-token-submit, api-token-secret (a new token, shown once)
//   Settings: settings-body, settings-form, settings-<field>, settings-save
//   Sandbox CRM (nav-sandbox is shown only when GET /v1/sandbox/crm answers, i.e. in sandbox
//   mode, to managers): sandbox-tabs, sandbox-tab (data-module, data-count, aria-selected),
//   sandbox-body, sandbox-table (data-module), sandbox-row (data-record-id, data-module,
//   data-highlight), sandbox-link (data-module, data-record-id: the Lead or Contact a Call or
//   Task points at; a click shows it), sandbox-related (data-module = Calls | Tasks,
//   data-record-id: a Lead's or Contact's Calls or Tasks; a click lists them), sandbox-filter
//   (data-related: the record the list is filtered to), sandbox-filter-clear, sandbox-empty,
//   sandbox-missing (a linked record beyond the newest rows)
//   CRM connection (settings; hidden when GET /v1/crm/status is not on the server): crm-card
//   (data-mode = sandbox | zoho, data-connected), crm-status, crm-connect (admins, Zoho mode),
//   crm-result (data-result = connected | the zoho_error reason of the connect redirect)

import { api, ApiError, getToken, setToken, whenUnauthorized, query, items } from './api.js';
import { LiveStream } from './stream.js';
import { stackedBars, rateBars } from './charts.js';
import {
  h, replace, $, isZeroTime, relTime, clock, humanSeconds, dateTime, timeOfDay, maskPhone,
  percent, startOfToday, dateInput, fromDateInput,
} from './dom.js';

/** A device is shown online (green) when its last heartbeat is at most this old. */
export const ONLINE_WINDOW_MS = 2 * 60 * 1000;
const CALL_LOG_ROWS = 300;
const VIEWS = ['command', 'calls', 'review', 'recovery', 'reports', 'owners', 'backfill', 'team', 'settings', 'sandbox'];

const state = {
  me: null,
  devices: new Map(), // id -> device (with paired)
  assignments: new Map(), // device id -> open assignment or null
  reps: [],
  crmUsers: null, // null until loaded; [] when the CRM has none
  leadSources: [],
  calls: new Map(), // id -> call
  callsCursor: '',
  callFilter: { from: '', to: '', device: '', type: '' },
  review: new Map(), // id -> item
  recovery: { loaded: false, available: true, cases: new Map(), summary: null, error: '' },
  settings: null,
  view: 'command',
  panel: null, // {mode: 'device'|'new', id}
  // runId is the backfill this page started; progress holds every backfill's {done, total,
  // finished} by ID, because a run's events can arrive before the answer that names it.
  backfill: { preview: null, runId: '', progress: {}, error: '' },
  report: { loaded: false },
  sandbox: sandboxState(),
  period: 'today', // Command Center counts: today, 7d or 30d
  periodStart: startOfToday(),
  ready: false,
  buffered: [],
};

let stream = null;

// ---------------------------------------------------------------- roles

const role = () => (state.me && state.me.role) || 'rep';
const canManage = () => role() === 'admin' || role() === 'manager';
const isAdmin = () => role() === 'admin';
/** showNumber masks caller numbers for reps, who see their own calls only. */
const showNumber = (n) => (role() === 'rep' ? maskPhone(n) : n || '');

// ---------------------------------------------------------------- toasts

function toast(msg, kind = 'info') {
  const t = h('div', { class: ['toast', kind], testid: 'toast', role: kind === 'error' ? 'alert' : 'status' }, msg);
  $('toasts').append(t);
  setTimeout(() => t.classList.add('leaving'), 4200);
  setTimeout(() => t.remove(), 4700);
}

function errorText(e) {
  if (e instanceof ApiError) {
    if (e.status === 403) return 'Your role cannot do that.';
    if (e.status === 429) return 'Too many requests; try again in a moment.';
    return e.field ? `${e.message} (${e.field})` : e.message;
  }
  return String(e && e.message ? e.message : e);
}

function unavailable(what) {
  return h('div', { class: 'unavailable card', testid: 'unavailable' },
    h('div', { class: 'unavailable-icon', 'aria-hidden': 'true' }, '◌'),
    h('h2', {}, `${what} is not available on this server yet`),
    h('p', { class: 'muted' }, 'This server does not offer that part of the API. Everything else works as usual.'));
}

// ---------------------------------------------------------------- sign-in

function showLogin(message = '') {
  if (stream) stream.stop();
  stream = null;
  state.me = null;
  state.ready = false;
  document.body.dataset.ready = 'false';
  $('booting').hidden = true;
  $('shell').hidden = true;
  closePanel();
  $('login').hidden = false;
  const err = $('login-error');
  err.hidden = !message;
  err.textContent = message;
  $('login-password').value = '';
  $('login-token').value = '';
  $('login-email').focus();
}

/** whoAmI asks the server who the credentials are; servers without /v1/auth/me accept the
 * token on the manager API, which makes its holder the bootstrap admin. */
async function whoAmI() {
  try {
    const r = await api('GET', '/v1/auth/me', undefined, { quiet401: true });
    return (r && r.user) || r;
  } catch (e) {
    if (!(e instanceof ApiError) || !e.missing || !getToken()) throw e;
  }
  await api('GET', '/v1/settings', undefined, { quiet401: true });
  return { name: 'Admin', role: 'admin', via: 'token' };
}

async function loginWithPassword(ev) {
  ev.preventDefault();
  const email = $('login-email').value.trim();
  const password = $('login-password').value;
  const btn = ev.submitter || $('login-form').querySelector('button');
  btn.disabled = true;
  setToken('');
  try {
    const r = await api('POST', '/v1/auth/login', { email, password }, { quiet401: true });
    await start((r && r.user) || (await whoAmI()));
  } catch (e) {
    let msg = errorText(e);
    if (e instanceof ApiError && e.status === 401) msg = 'Wrong email or password.';
    if (e instanceof ApiError && e.missing) {
      msg = 'Password sign-in is not available on this server yet: use the admin token below.';
      $('token-login').open = true;
    }
    showLogin(msg);
    $('login-email').value = email;
  } finally {
    btn.disabled = false;
  }
}

async function loginWithToken(ev) {
  ev.preventDefault();
  const tok = $('login-token').value.trim();
  if (!tok) return;
  setToken(tok);
  try {
    await start(await whoAmI());
  } catch (e) {
    setToken('');
    showLogin(e instanceof ApiError && e.status === 401 ? 'That token was not accepted.' : errorText(e));
    $('token-login').open = true;
  }
}

async function logout() {
  try { await api('POST', '/v1/auth/logout', undefined, { quiet401: true }); } catch { /* no sessions on this server, or already gone */ }
  setToken('');
  showLogin();
}

// ---------------------------------------------------------------- start and data

async function start(me) {
  state.me = me || { role: 'admin' };
  $('login').hidden = true;
  $('booting').hidden = true;
  $('shell').hidden = false;
  $('whoami').textContent = [state.me.name || state.me.email || 'Signed in', state.me.role ? `· ${state.me.role}` : ''].join(' ');
  document.body.dataset.role = role();
  document.body.classList.toggle('read-only', !canManage());
  // Reps read their own phones and calls; the rest is for managers.
  $('device-add').hidden = !canManage();
  for (const v of ['owners', 'backfill', 'settings']) document.querySelector(`.nav a[data-view="${v}"]`).hidden = !canManage();
  state.devices.clear(); state.assignments.clear(); state.calls.clear(); state.review.clear();
  state.recovery = { loaded: false, available: true, cases: new Map(), summary: null, error: '' };
  state.report = { loaded: false };
  state.ready = false;
  state.buffered = [];
  stream = new LiveStream({ onEvent, onState: streamState, onOpen: streamOpened });
  const opened = new Promise((resolve) => { state.firstOpen = resolve; setTimeout(resolve, 3000); });
  stream.start();
  // Subscribe first, then read: an event that happens meanwhile is in the stream (applied
  // after the load), so nothing falls between the two.
  await opened;
  await loadAll();
  await probeSandbox();
  state.ready = true;
  for (const ev of state.buffered.splice(0)) applyEvent(ev);
  document.body.dataset.ready = 'true';
  route();
  renderAll();
}

function streamOpened({ resumed, first }) {
  $('stream-status').dataset.opens = String(stream ? stream.opens : 0);
  $('stream-status').dataset.url = stream ? new URL(stream.connectedURL).pathname + new URL(stream.connectedURL).search : '';
  if (first && state.firstOpen) state.firstOpen();
  // Not resumed from a known event, or the first connection came only after the data was read
  // (a slow start): something may have happened in between, so read everything again.
  if ((!resumed || first) && state.ready) {
    // The stream could not resume from a known event: read everything again.
    loadAll().then(renderAll).catch((e) => toast(errorText(e), 'error'));
    sandboxChanged();
  }
}

function streamState(s, info) {
  const el = $('stream-status');
  el.dataset.state = s;
  el.textContent = s === 'live' ? 'live' : s === 'connecting' ? 'connecting…' : `reconnecting${info.delay ? ` in ${Math.ceil(info.delay / 1000)} s` : '…'}`;
  el.title = s === 'live' ? 'Live: updates arrive as they happen' : 'Live updates paused; reconnecting';
  if (s === 'reconnecting' && info.attempt === 3) {
    // Several failures in a row: the session may have ended.
    api('GET', '/v1/settings').catch(() => {});
  }
}

async function optional(p, fallback) {
  try { return await p; } catch (e) {
    if (e instanceof ApiError && (e.missing || e.status === 403)) return fallback;
    throw e;
  }
}

const PERIOD_DAYS = { today: 1, '7d': 7, '30d': 30 };
const PERIOD_LABEL = { today: 'today', '7d': 'in 7 days', '30d': 'in 30 days' };

/** periodStart is local midnight at the start of the Command Center's period. */
function periodStart(period) {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  d.setDate(d.getDate() - ((PERIOD_DAYS[period] || 1) - 1));
  return d.toISOString();
}

const MAX_PERIOD_PAGES = 10;

/** loadPeriodCalls reads the calls of the period (up to MAX_PERIOD_PAGES pages of 1,000). */
async function loadPeriodCalls() {
  state.periodStart = periodStart(state.period);
  let cursor = '';
  for (let i = 0; i < MAX_PERIOD_PAGES; i++) {
    const page = await api('GET', `/v1/calls${query({ from: state.periodStart, limit: 1000, cursor })}`);
    for (const c of items(page)) state.calls.set(c.id, c);
    cursor = (page && page.next_cursor) || '';
    if (!cursor) break;
  }
}

async function loadAll() {
  const [devices, reps, sources, review, , recent] = await Promise.all([
    api('GET', '/v1/devices'),
    optional(api('GET', '/v1/reps'), []),
    optional(api('GET', '/v1/crm/lead-sources'), []).catch(() => []),
    optional(api('GET', '/v1/review?status=open&limit=200'), { items: [] }),
    loadPeriodCalls(),
    api('GET', '/v1/calls?limit=100'),
  ]);
  state.devices.clear();
  for (const d of items(devices)) state.devices.set(d.id, d);
  state.reps = items(reps);
  state.leadSources = items(sources);
  state.review.clear();
  for (const it of items(review)) state.review.set(it.id, it);
  for (const c of items(recent)) state.calls.set(c.id, c);
  state.callsCursor = (recent && recent.next_cursor) || '';
  await loadAssignments([...state.devices.keys()]);
  if (state.view === 'recovery') await loadRecovery();
}

async function loadAssignments(ids) {
  await Promise.all(ids.map(async (id) => {
    try {
      const list = items(await api('GET', `/v1/devices/${encodeURIComponent(id)}/assignments`));
      state.assignments.set(id, list.find((a) => a.end === null || isZeroTime(a.end)) || null);
      const d = state.devices.get(id);
      if (d) d.history = list;
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
  }));
}

async function loadCrmUsers() {
  if (state.crmUsers !== null) return;
  try {
    state.crmUsers = items(await api('GET', '/v1/crm/users'));
  } catch (e) {
    state.crmUsers = [];
    toast(`CRM users: ${errorText(e)}`, 'error');
  }
}

// ---------------------------------------------------------------- live events

function onEvent(ev) {
  $('stream-status').dataset.lastEventId = String(ev.id);
  if (!state.ready) {
    state.buffered.push(ev);
    return;
  }
  applyEvent(ev);
}

// refreshSoon runs fn once, REFRESH_MS after the first of a burst of calls with the same key:
// views computed by the server follow live events without a request per event.
const REFRESH_MS = 2000;
const refreshTimers = new Map();
function refreshSoon(key, fn) {
  if (refreshTimers.has(key)) return;
  refreshTimers.set(key, setTimeout(() => {
    refreshTimers.delete(key);
    Promise.resolve(fn()).catch(() => {});
  }, REFRESH_MS));
}

const dirty = new Set();
let frame = 0;
function invalidate(...parts) {
  for (const p of parts) dirty.add(p);
  if (!frame) frame = requestAnimationFrame(flush);
}
function flush() {
  frame = 0;
  const parts = [...dirty];
  dirty.clear();
  for (const p of parts) renderers[p]?.();
}

function upsertDevice(d) {
  const prev = state.devices.get(d.id);
  const paired = d.paired ?? (!isZeroTime(d.enrolled_at) || !isZeroTime(d.last_seen_at) || (prev && prev.paired) || false);
  state.devices.set(d.id, { ...prev, ...d, paired, history: prev && prev.history });
}

function applyEvent(ev) {
  const d = ev.data || {};
  switch (ev.type) {
    case 'device.seen':
    case 'device.updated': {
      const before = state.devices.get(d.id);
      upsertDevice(d);
      if (ev.type === 'device.updated' && (!before || before.kind !== d.kind || before.active !== d.active)) {
        loadAssignments([d.id]).then(() => invalidate('grid', 'panel')).catch(() => {});
      }
      invalidate('grid', 'panel', 'callFilters');
      break;
    }
    case 'assignment.set': {
      const open = d.end === null || isZeroTime(d.end);
      const cur = state.assignments.get(d.device_id);
      if (open) state.assignments.set(d.device_id, d);
      else if (cur && cur.id === d.id) state.assignments.set(d.device_id, null);
      const dev = state.devices.get(d.device_id);
      if (dev) {
        const hist = (dev.history || []).filter((a) => a.id !== d.id);
        dev.history = [...hist, d].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      }
      invalidate('grid', 'panel');
      break;
    }
    case 'call.ingested':
    case 'call.synced':
    case 'call.review':
    case 'call.failed':
      state.calls.set(d.id, { ...state.calls.get(d.id), ...d });
      invalidate('calls', 'grid', 'stats', 'panel');
      if (state.view === 'reports' && state.report.loaded) refreshSoon('report', () => loadReport(null, true));
      if (ev.type === 'call.synced') sandboxChanged();
      break;
    case 'review.created':
    case 'review.resolved':
      state.review.set(d.id, d);
      invalidate('review', 'stats');
      if (ev.type === 'review.resolved') sandboxChanged();
      break;
    case 'rep.updated': {
      const i = state.reps.findIndex((r) => r.id === d.id);
      if (i >= 0) state.reps[i] = d; else state.reps.push(d);
      invalidate('owners', 'grid', 'panel');
      break;
    }
    case 'settings.updated':
      state.settings = d;
      if (state.view === 'settings' && !document.activeElement?.closest?.('#settings-form')) invalidate('settings');
      break;
    case 'recovery.updated':
    case 'recovery.sla_breached': {
      const key = caseKey(d);
      if (key) {
        if (ev.type !== 'recovery.updated') d.sla_breached = true;
        state.recovery.cases.set(key, { ...state.recovery.cases.get(key), ...d });
        // The summary (rates, medians) is the server's: read it again, at most every few seconds.
        if (state.view === 'recovery') refreshSoon('recovery', () => loadRecovery().then(renderRecovery));
        if (ev.type !== 'recovery.updated') toast(`SLA breached: ${showNumber(d.number_e164)} is still waiting for a callback`, 'warn');
        else if (d.status === 'recovered' && state.view === 'recovery') toast(`Recovered: ${showNumber(d.number_e164)} was reached`, 'ok');
      }
      invalidate('recovery', 'stats');
      if (ev.type === 'recovery.updated') sandboxChanged();
      break;
    }
    case 'backfill.progress':
    case 'backfill.done': {
      if (!d.backfill_id) break;
      const prev = state.backfill.progress[d.backfill_id] || {};
      state.backfill.progress[d.backfill_id] = { ...prev, ...d, finished: prev.finished || ev.type === 'backfill.done' };
      invalidate('backfillProgress');
      break;
    }
    case 'sync.paused':
      toast(`CRM sync paused${d.reason ? `: ${d.reason}` : ''}${d.until ? ` until ${timeOfDay(d.until)}` : ''}`, 'warn');
      break;
    case 'sync.resumed':
      toast(`CRM sync resumed${d.reason ? `: ${d.reason}` : ''}`);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- helpers over state

const repName = (id) => (state.reps.find((r) => r.id === id) || {}).name
  || (state.me && id && state.me.rep_id === id ? state.me.name : '') || '';
const deviceName = (id) => { const d = state.devices.get(id); return d ? d.nickname || d.id : id; };
const isOnline = (d, now = Date.now()) => !isZeroTime(d.last_seen_at) && now - Date.parse(d.last_seen_at) <= ONLINE_WINDOW_MS;
const kindLabel = (k) => (k === 'campaign' ? 'Campaign' : k === 'sales_rep' ? 'Sales rep' : 'No role');

function flagsOf(d) {
  const f = [];
  if (!d.active) return [['inactive', 'Deactivated']];
  if (!d.paired) f.push(['unpaired', 'Not paired']);
  if (!d.kind) f.push(['no_kind', 'No role']);
  if (d.kind === 'campaign' && !state.assignments.get(d.id)) f.push(['no_assignment', 'No campaign assignment']);
  if (d.kind === 'sales_rep' && !d.rep_id) f.push(['no_rep', 'No rep']);
  return f;
}

function periodCounts() {
  const by = new Map();
  const start = Date.parse(state.periodStart);
  for (const c of state.calls.values()) {
    if (Date.parse(c.started_at) < start) continue;
    const m = by.get(c.device_id) || { total: 0, inbound: 0, missed: 0, outbound: 0 };
    m.total++;
    m[c.type] = (m[c.type] || 0) + 1;
    by.set(c.device_id, m);
  }
  return by;
}

function assignmentText(a) {
  if (!a) return '';
  const extra = Object.entries(a.metadata || {}).map(([k, v]) => `${k}: ${v}`);
  return [a.lead_source || 'No Lead Source', ...extra].join(' · ');
}

// ---------------------------------------------------------------- Command Center

function renderStats() {
  const devices = [...state.devices.values()].filter((d) => d.active);
  const online = devices.filter((d) => isOnline(d)).length;
  let calls = 0, missed = 0;
  for (const m of periodCounts().values()) { calls += m.total; missed += m.missed || 0; }
  const openReview = [...state.review.values()].filter((r) => r.status === 'open').length;
  const stat = (key, label, value, cls = '') => h('div', { class: ['stat', cls], testid: `stat-${key}` },
    h('div', { class: 'stat-value' }, String(value)), h('div', { class: 'stat-label' }, label));
  const recoveryOpen = [...state.recovery.cases.values()].filter((c) => c.status === 'open' || c.status === 'attempted').length;
  replace($('stats'),
    stat('online', 'Phones online', `${online} / ${devices.length}`),
    stat('calls', `Calls ${PERIOD_LABEL[state.period]}`, calls),
    stat('missed', `Missed ${PERIOD_LABEL[state.period]}`, missed, missed ? 'warn' : ''),
    stat('review', 'To review', openReview, openReview ? 'warn' : ''),
    state.recovery.loaded && state.recovery.available ? stat('recovery', 'Awaiting callback', recoveryOpen, recoveryOpen ? 'warn' : '') : null);
  const badge = $('review-badge');
  badge.hidden = openReview === 0;
  badge.textContent = String(openReview);
}

function renderGrid() {
  renderStats();
  const grid = $('device-grid');
  const q = $('device-search').value.trim().toLowerCase();
  const filter = $('device-filter').value;
  const counts = periodCounts();
  const now = Date.now();
  const all = [...state.devices.values()].sort((a, b) =>
    (b.active - a.active) || (flagsOf(b).length > 0) - (flagsOf(a).length > 0) || (a.nickname || '').localeCompare(b.nickname || ''));
  const incomplete = all.filter((d) => d.active && flagsOf(d).length > 0);
  const banner = $('incomplete-banner');
  banner.hidden = incomplete.length === 0;
  replace(banner, `${incomplete.length} ${incomplete.length === 1 ? 'device needs' : 'devices need'} setup before their calls reach the CRM correctly. `,
    h('button', { type: 'button', class: 'link', on: { click: () => { $('device-filter').value = 'incomplete'; renderGrid(); } } }, 'Show them'));
  const shown = all.filter((d) => {
    const online = isOnline(d, now);
    if (filter === 'online' && !online) return false;
    if (filter === 'offline' && online) return false;
    if (filter === 'incomplete' && !(d.active && flagsOf(d).length)) return false;
    if ((filter === 'campaign' || filter === 'sales_rep') && d.kind !== filter) return false;
    if (!q) return true;
    const a = state.assignments.get(d.id);
    return [d.nickname, d.id, repName(d.rep_id), a && assignmentText(a), d.model].some((s) => (s || '').toLowerCase().includes(q));
  });
  if (state.devices.size === 0) {
    replace(grid, h('div', { class: 'empty card' }, h('h2', {}, 'No phones yet'),
      h('p', { class: 'muted' }, canManage() ? 'Add a device, then enter its pairing code in the phone app.' : 'No phones are registered to you yet.')));
    return;
  }
  if (shown.length === 0) {
    replace(grid, h('p', { class: 'empty' }, 'No device matches.'));
    return;
  }
  replace(grid, shown.map((d) => deviceCard(d, counts.get(d.id), now)));
}

function deviceCard(d, counts = { total: 0 }, now) {
  const online = isOnline(d, now);
  const flags = flagsOf(d);
  const a = state.assignments.get(d.id);
  const open = () => openPanel(d.id);
  return h('article', {
    class: ['device-card', !d.active && 'inactive', flags.length && 'incomplete', state.panel && state.panel.id === d.id && 'selected'],
    testid: 'device-card', data: { deviceId: d.id, online: String(online), incomplete: String(flags.length > 0) },
    tabindex: 0, role: 'button', 'aria-label': `${d.nickname || d.id}, ${online ? 'online' : 'offline'}`,
    on: { click: open, keydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); open(); } } },
  },
  h('div', { class: 'card-top' },
    h('span', { class: ['dot', online ? 'online' : 'offline'], testid: 'device-dot', data: { online: String(online) },
      title: online ? `Online · last heartbeat ${relTime(d.last_seen_at, now)}` : `Offline · last seen ${relTime(d.last_seen_at, now)}` }),
    h('span', { class: 'device-name', testid: 'device-name' }, d.nickname || d.id),
    h('span', { class: ['chip', d.kind], testid: 'device-kind' }, kindLabel(d.kind))),
  h('div', { class: 'device-rep muted', testid: 'device-rep' }, d.rep_id ? repName(d.rep_id) || d.rep_id : 'No rep'),
  d.kind === 'campaign'
    ? h('div', { class: ['device-assignment', !a && 'missing'], testid: 'device-assignment' }, a ? assignmentText(a) : 'No campaign assignment')
    : null,
  h('div', { class: 'device-counts', testid: 'device-calls-today', data: { total: String(counts.total || 0) } },
    h('strong', {}, String(counts.total || 0)), ` ${counts.total === 1 ? 'call' : 'calls'} ${PERIOD_LABEL[state.period]}`,
    counts.total ? h('span', { class: 'muted' }, ` · ${counts.inbound || 0} answered · ${counts.missed || 0} missed · ${counts.outbound || 0} out`) : null),
  h('div', { class: 'device-foot muted' },
    h('span', { testid: 'device-last-seen', data: { rel: d.last_seen_at || '' } }, isZeroTime(d.last_seen_at) ? 'Never seen' : `Seen ${relTime(d.last_seen_at, now)}`),
    d.battery > 0 ? h('span', {}, ` · battery ${d.battery}%`) : null),
  flags.length ? h('div', { class: 'flags' }, flags.map(([k, label]) => h('span', { class: ['flag', k], testid: 'device-flag', data: { flag: k } }, label))) : null);
}

// ---------------------------------------------------------------- device panel

function openPanel(id) {
  state.panel = { mode: 'device', id };
  $('panel').hidden = false;
  $('scrim').hidden = false;
  $('panel').dataset.deviceId = id;
  renderPanel(true);
  renderGrid();
}

function openNewDevice() {
  state.panel = { mode: 'new' };
  $('panel').hidden = false;
  $('scrim').hidden = false;
  delete $('panel').dataset.deviceId;
  renderPanel(true);
}

function closePanel() {
  const was = state.panel;
  state.panel = null;
  $('panel').hidden = true;
  $('scrim').hidden = true;
  if (was && state.ready) renderGrid();
}

function repOptions(selected) {
  return [h('option', { value: '' }, '— No rep —'), ...state.reps.map((r) => h('option', { value: r.id, selected: r.id === selected }, r.name || r.email || r.id))];
}

function leadSourceControl(current) {
  if (!state.leadSources.length) {
    return h('input', { id: 'panel-lead-source', testid: 'panel-lead-source', value: current || '', placeholder: 'e.g. Google Ads', disabled: !canManage() });
  }
  const known = state.leadSources.some((s) => s.display_value === current || s.actual_value === current);
  return h('select', { id: 'panel-lead-source', testid: 'panel-lead-source', disabled: !canManage() },
    h('option', { value: '' }, '— Choose a Lead Source —'),
    current && !known ? h('option', { value: current, selected: true }, `${current} (no longer in the CRM)`) : null,
    state.leadSources.map((s) => h('option', { value: s.display_value, selected: s.display_value === current || s.actual_value === current }, s.display_value)));
}

function metaRow(k = '', v = '') {
  const row = h('div', { class: 'meta-row', testid: 'panel-meta-row' },
    h('input', { class: 'meta-key', testid: 'panel-meta-key', placeholder: 'Field, e.g. Campaign', value: k, 'aria-label': 'Field', disabled: !canManage() }),
    h('input', { class: 'meta-value', testid: 'panel-meta-value', placeholder: 'Value, e.g. Wellness Week', value: v, 'aria-label': 'Value', disabled: !canManage() }),
    canManage() ? h('button', { type: 'button', class: 'ghost icon', 'aria-label': 'Remove row', on: { click: () => row.remove() } }, '✕') : null);
  return row;
}

/** renderPanel redraws the panel. Forms are rebuilt only when full is true (opening), so a live
 * event never wipes what the manager is typing; otherwise only the status parts change. */
function renderPanel(full = false) {
  const p = state.panel;
  if (!p) return;
  const body = $('panel-body');
  if (p.mode === 'new') {
    if (!full) return;
    $('panel-title').textContent = 'Add a device';
    replace(body, newDeviceForm());
    return;
  }
  const d = state.devices.get(p.id);
  if (!d) return;
  $('panel-title').textContent = d.nickname || d.id;
  if (!full && body.querySelector('#panel-status')) {
    // Sections a sales-rep phone does not have are absent.
    const update = (id, make) => { const el = $(id); if (el) replace(el, make(d)); };
    update('panel-status', panelStatus);
    update('panel-assignment-now', currentAssignment);
    update('panel-history', historyList);
    update('panel-calls', recentCalls);
    return;
  }
  const a = state.assignments.get(d.id);
  const metaRows = h('div', { id: 'panel-meta-rows', class: 'meta-rows' },
    Object.entries((a && a.metadata) || {}).map(([k, v]) => metaRow(k, v)));
  const ro = !canManage();
  replace(body,
    h('div', { id: 'panel-status', class: 'panel-status' }, panelStatus(d)),
    h('form', { class: 'panel-section', testid: 'panel-device-form', on: { submit: (e) => saveDevice(e, d.id) } },
      h('h3', {}, 'Phone'),
      h('label', {}, 'Nickname', h('input', { id: 'panel-nickname', testid: 'panel-nickname', value: d.nickname || '', maxlength: 100, disabled: ro })),
      h('label', {}, 'Role',
        h('select', { id: 'panel-kind', testid: 'panel-kind', disabled: ro },
          h('option', { value: 'campaign', selected: d.kind === 'campaign' }, 'Campaign phone (a number in your ads)'),
          h('option', { value: 'sales_rep', selected: d.kind === 'sales_rep' }, 'Sales-rep phone (used for callbacks)'))),
      h('label', {}, 'Rep', h('select', { id: 'panel-rep', testid: 'panel-rep', disabled: ro }, repOptions(d.rep_id))),
      h('label', { class: 'check' }, h('input', { id: 'panel-active', testid: 'panel-active', type: 'checkbox', checked: d.active, disabled: ro }),
        'Active (deactivating frees a seat; history stays)'),
      ro ? null : h('button', { type: 'submit', class: 'primary', testid: 'panel-save' }, 'Save phone')),
    d.kind === 'campaign' ? h('form', { class: 'panel-section', testid: 'panel-assign-form', on: { submit: (e) => saveAssignment(e, d.id) } },
      h('h3', {}, 'Campaign'),
      h('div', { id: 'panel-assignment-now' }, currentAssignment(d)),
      h('label', {}, 'Lead Source', leadSourceControl(a && a.lead_source)),
      h('div', { class: 'label' }, 'More fields', h('span', { class: 'muted small' }, ' — written to matching Lead fields in the CRM')),
      metaRows,
      ro ? null : h('div', { class: 'row' },
        h('button', { type: 'button', class: 'ghost', testid: 'panel-meta-add', on: { click: () => metaRows.append(metaRow()) } }, '+ Add field'),
        h('button', { type: 'submit', class: 'primary', testid: 'panel-assign-save' }, 'Save campaign')),
      h('div', { id: 'panel-warnings', testid: 'panel-warnings' }),
      h('p', { class: 'muted small' }, 'Saving closes the current campaign and opens a new one now. Past calls keep the campaign they had.')) : null,
    d.kind === 'campaign' ? h('div', { class: 'panel-section' }, h('h3', {}, 'History'), h('div', { id: 'panel-history', testid: 'panel-history' }, historyList(d))) : h('div', { id: 'panel-history', hidden: true }),
    h('div', { class: 'panel-section' }, h('h3', {}, 'Recent calls'), h('div', { id: 'panel-calls', testid: 'panel-calls' }, recentCalls(d))),
    canManage() ? h('div', { class: 'panel-section' },
      h('h3', {}, 'Pairing'),
      h('p', { class: 'muted small' }, d.paired ? 'Paired. A new code lets you move this device to a new phone; the old phone keeps working until the code is used.' : 'Not paired yet. Enter the code in the phone app.'),
      h('button', { type: 'button', testid: 'panel-pairing', on: { click: (e) => newPairingCode(e, d.id) } }, 'New pairing code'),
      h('div', { id: 'panel-pairing-out' })) : null);
}

function panelStatus(d) {
  const online = isOnline(d);
  return [
    h('div', { class: 'status-line' }, h('span', { class: ['dot', online ? 'online' : 'offline'] }),
      h('span', {}, [online ? 'Online' : 'Offline', isZeroTime(d.last_seen_at) ? 'never seen' : `last seen ${relTime(d.last_seen_at)}`,
        d.model, d.app_version && `app ${d.app_version}`, d.battery > 0 && `battery ${d.battery}%`].filter(Boolean).join(' · '))),
    (d.sims || []).length ? h('div', { class: 'muted small' }, 'SIMs: ', (d.sims || []).map((s) => `${s.slot}: ${showNumber(s.number)}${s.carrier ? ` (${s.carrier})` : ''}`).join(', ')) : null,
    flagsOf(d).length ? h('div', { class: 'flags' }, flagsOf(d).map(([k, l]) => h('span', { class: ['flag', k] }, l))) : null,
  ];
}

function currentAssignment(d) {
  const a = state.assignments.get(d.id);
  return h('div', { class: ['assignment-now', !a && 'missing'], testid: 'panel-assignment', data: { assignmentId: a ? String(a.id) : '' } },
    a ? [h('strong', {}, assignmentText(a)), h('span', { class: 'muted' }, ` · since ${relTime(a.start)}`)] : 'No campaign assignment: calls on this phone reach the CRM without a Lead Source.');
}

function recentCalls(d) {
  const calls = [...state.calls.values()].filter((c) => c.device_id === d.id)
    .sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at)).slice(0, 8);
  if (!calls.length) return h('p', { class: 'muted small' }, 'No calls yet.');
  return h('ul', { class: 'recent-calls' }, calls.map((c) => {
    const [cls, label] = callStatus(c);
    return h('li', { testid: 'panel-call' },
      h('span', { class: ['chip', c.type] }, TYPE_LABEL[c.type] || c.type),
      h('span', { class: 'mono' }, showNumber(c.number_e164 || c.number_raw) || 'withheld'),
      h('span', { class: 'muted small', data: { rel: c.started_at } }, relTime(c.started_at)),
      h('span', { class: ['status', cls] }, label));
  }));
}

function historyList(d) {
  const hist = [...(d.history || [])].reverse().slice(0, 10);
  if (!hist.length) return h('p', { class: 'muted small' }, 'No campaigns yet.');
  return h('ol', { class: 'history' }, hist.map((a) => h('li', {},
    h('span', {}, assignmentText(a)),
    h('span', { class: 'muted small' }, ` ${dateTime(a.start)} → ${a.end && !isZeroTime(a.end) ? dateTime(a.end) : 'now'}`))));
}

function newDeviceForm() {
  const out = h('div', { id: 'new-device-out' });
  return h('form', { class: 'panel-section', testid: 'new-device-form', on: {
    submit: async (e) => {
      e.preventDefault();
      const btn = e.submitter;
      btn.disabled = true;
      try {
        const r = await api('POST', '/v1/devices', { nickname: $('new-nickname').value.trim(), kind: $('new-kind').value, rep_id: $('new-rep').value });
        replace(out, pairingBox(r));
        e.target.reset();
        const devs = items(await api('GET', '/v1/devices'));
        for (const d of devs) upsertDevice(d);
        await loadAssignments([r.id]);
        renderGrid();
      } catch (err) {
        toast(errorText(err), 'error');
      } finally { btn.disabled = false; }
    },
  } },
  h('label', {}, 'Nickname', h('input', { id: 'new-nickname', testid: 'new-nickname', required: true, placeholder: 'e.g. Front Desk, Campaign Line 1', maxlength: 100 })),
  h('label', {}, 'Role', h('select', { id: 'new-kind', testid: 'new-kind' },
    h('option', { value: 'campaign' }, 'Campaign phone'), h('option', { value: 'sales_rep' }, 'Sales-rep phone'))),
  h('label', {}, 'Rep', h('select', { id: 'new-rep', testid: 'new-rep' }, repOptions(''))),
  h('button', { type: 'submit', class: 'primary', testid: 'new-device-submit' }, 'Create and get pairing code'),
  out);
}

function pairingBox(r) {
  return h('div', { class: 'pairing' },
    h('div', { class: 'muted small' }, 'Pairing code (shown once):'),
    h('div', { class: 'pairing-code', testid: 'pairing-code' }, r.pairing_code),
    h('div', { class: 'muted small' }, `Works once, until ${dateTime(r.pairing_expires_at)}.`));
}

async function newPairingCode(e, id) {
  e.target.disabled = true;
  try {
    const r = await api('POST', `/v1/devices/${encodeURIComponent(id)}/pairing-code`);
    replace($('panel-pairing-out'), pairingBox(r));
  } catch (err) { toast(errorText(err), 'error'); } finally { e.target.disabled = false; }
}

async function saveDevice(e, id) {
  e.preventDefault();
  const btn = e.submitter;
  if (btn) btn.disabled = true;
  const body = { nickname: $('panel-nickname').value.trim(), kind: $('panel-kind').value, rep_id: $('panel-rep').value || null,
    active: $('panel-active').checked };
  try {
    const d = await api('PATCH', `/v1/devices/${encodeURIComponent(id)}`, body);
    const kindChanged = state.devices.get(id)?.kind !== d.kind;
    upsertDevice(d);
    await loadAssignments([id]);
    toast('Phone saved', 'ok');
    renderGrid();
    renderPanel(kindChanged);
  } catch (err) {
    toast(errorText(err), 'error');
  } finally { if (btn) btn.disabled = false; }
}

async function saveAssignment(e, id) {
  e.preventDefault();
  const btn = e.submitter;
  const metadata = {};
  for (const row of $('panel-meta-rows').querySelectorAll('.meta-row')) {
    const k = row.querySelector('.meta-key').value.trim();
    const v = row.querySelector('.meta-value').value.trim();
    if (k) metadata[k] = v;
  }
  const leadSource = $('panel-lead-source').value.trim();
  if (btn) btn.disabled = true;
  try {
    const a = await api('PUT', `/v1/devices/${encodeURIComponent(id)}/assignment`, { lead_source: leadSource, metadata });
    applyEvent({ type: 'assignment.set', data: a });
    flush();
    const warnings = a.warnings || [];
    replace($('panel-warnings'), warnings.length ? h('div', { class: 'banner warn' }, h('strong', {}, 'Saved, but these fields will not be written to the CRM:'),
      h('ul', {}, warnings.map((w) => h('li', {}, `${w.key}: ${w.reason}`)))) : null);
    toast('Campaign saved', 'ok');
  } catch (err) {
    const msg = err instanceof ApiError && err.code === 'invalid_lead_source' ? 'That Lead Source is not in the CRM picklist.' : errorText(err);
    replace($('panel-warnings'), h('div', { class: 'banner error', role: 'alert' }, msg));
  } finally { if (btn) btn.disabled = false; }
}

// ---------------------------------------------------------------- call log

function callMatches(c, f) {
  if (f.device && c.device_id !== f.device) return false;
  if (f.type && c.type !== f.type) return false;
  const t = Date.parse(c.started_at);
  if (f.from && t < Date.parse(fromDateInput(f.from))) return false;
  if (f.to && t >= Date.parse(fromDateInput(f.to, true))) return false;
  return true;
}

function callFilterQuery(extra = {}) {
  const f = state.callFilter;
  return query({ from: fromDateInput(f.from), to: fromDateInput(f.to, true), device: f.device, type: f.type, ...extra });
}

const TYPE_LABEL = { inbound: 'Answered', missed: 'Missed', outbound: 'Outbound' };
const OUTCOME_LABEL = {
  created_lead: 'New lead', linked_contact: 'Linked to contact', linked_lead: 'Linked to lead',
  review_duplicate_lead: 'Review: duplicate', review_ambiguous: 'Review: ambiguous', failed: 'Failed', ignored: 'Ignored by reviewer',
};

function callStatus(c) {
  if (c.sync_status === 'pending') return ['pending', 'Syncing…'];
  if (c.sync_status === 'synced') return ['synced', OUTCOME_LABEL[c.outcome] || 'Synced'];
  if (c.sync_status === 'review') return ['review', OUTCOME_LABEL[c.outcome] || 'In review'];
  if (c.sync_status === 'failed') return ['failed', 'Failed'];
  if (c.outcome === 'ignored') return ['none', 'Ignored by reviewer'];
  const reason = (c.reason || c.disposition || '').replace(/_/g, ' ');
  return ['none', c.disposition === 'local' ? `Local · ${reason}` : `Not synced · ${reason}`];
}

function renderCallFilters() {
  const sel = $('calls-device');
  const cur = sel.value;
  replace(sel, h('option', { value: '' }, 'All devices'),
    [...state.devices.values()].map((d) => h('option', { value: d.id, selected: d.id === cur }, d.nickname || d.id)));
  $('calls-export').href = `/v1/calls.csv${callFilterQuery()}`;
}

function renderCalls() {
  const f = state.callFilter;
  const rows = [...state.calls.values()].filter((c) => callMatches(c, f))
    .sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at) || b.id - a.id).slice(0, CALL_LOG_ROWS);
  $('calls-empty').hidden = rows.length > 0;
  $('calls-more').hidden = !state.callsCursor;
  const now = Date.now();
  replace($('call-rows'), rows.map((c) => {
    const [cls, label] = callStatus(c);
    return h('tr', { testid: 'call-row', data: { callId: String(c.id), deviceId: c.device_id, type: c.type }, class: now - Date.parse(c.received_at || c.started_at) < 8000 ? 'fresh' : '' },
      h('td', { title: dateTime(c.started_at) }, h('span', {}, timeOfDay(c.started_at)), h('div', { class: 'muted small', data: { rel: c.started_at } }, relTime(c.started_at, now))),
      h('td', {}, deviceName(c.device_id)),
      h('td', { class: 'mono', testid: 'call-number' }, showNumber(c.number_e164 || c.number_raw) || h('span', { class: 'muted' }, 'withheld')),
      h('td', {}, h('span', { class: ['chip', c.type] }, TYPE_LABEL[c.type] || c.type)),
      h('td', { class: 'mono opt' }, c.type === 'missed' ? '—' : clock(c.duration_s)),
      h('td', { class: 'opt' }, c.lead_source || h('span', { class: 'muted' }, '—')),
      h('td', {}, h('span', { class: ['status', cls], testid: 'call-status', title: c.last_error || '' }, label)));
  }));
}

async function applyCallFilters(e) {
  if (e) e.preventDefault();
  state.callFilter = { from: $('calls-from').value, to: $('calls-to').value, device: $('calls-device').value, type: $('calls-type').value };
  $('calls-export').href = `/v1/calls.csv${callFilterQuery()}`;
  renderCalls(); // what is already here, at once; the server's answer follows
  try {
    const page = await api('GET', `/v1/calls${callFilterQuery({ limit: 200 })}`);
    for (const c of items(page)) state.calls.set(c.id, c);
    state.callsCursor = page.next_cursor || '';
  } catch (err) { toast(errorText(err), 'error'); }
  renderCalls();
}

async function moreCalls() {
  if (!state.callsCursor) return;
  try {
    const page = await api('GET', `/v1/calls${callFilterQuery({ limit: 200, cursor: state.callsCursor })}`);
    for (const c of items(page)) state.calls.set(c.id, c);
    state.callsCursor = page.next_cursor || '';
    renderCalls();
  } catch (err) { toast(errorText(err), 'error'); }
}

// ---------------------------------------------------------------- review queue

const REVIEW_TITLE = {
  duplicate_lead: 'Several Leads match this caller',
  ambiguous: 'Caller matches more than one record',
  invalid_number: 'Unreadable caller number',
  failed: 'CRM sync failed',
};

async function resolve(it, action, candidate) {
  const el = document.querySelector(`[data-testid="review-item"][data-review-id="${it.id}"]`);
  if (el) { el.dataset.status = 'busy'; el.querySelectorAll('button').forEach((b) => { b.disabled = true; }); }
  try {
    const body = { action };
    if (candidate) { body.record_id = candidate.id; body.module = candidate.module; }
    const r = await api('POST', `/v1/review/${it.id}/resolve`, body);
    state.review.set(r.id, r);
    toast('Resolved', 'ok');
  } catch (err) {
    toast(errorText(err), 'error');
    if (err instanceof ApiError && err.status === 409) {
      try { const page = await api('GET', '/v1/review?status=open&limit=200'); state.review.clear(); for (const x of items(page)) state.review.set(x.id, x); } catch { /* keep what we have */ }
    }
  }
  renderReview();
  renderStats();
}

function renderReview() {
  const all = [...state.review.values()].sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
  const open = all.filter((r) => r.status === 'open');
  const done = all.filter((r) => r.status !== 'open').reverse().slice(0, 20);
  $('review-empty').hidden = open.length > 0;
  const card = (it) => {
    const call = state.calls.get(it.call_id);
    const btn = (action, label, cls = '', cand = null) => h('button', {
      type: 'button', class: cls, testid: 'review-action', data: { action, recordId: cand ? cand.id : '' },
      on: { click: () => resolve(it, action, cand) },
    }, label);
    const actions = [];
    if (canManage() && it.status === 'open') {
      if (it.kind === 'invalid_number') actions.push(btn('ignore', 'Dismiss', 'primary'));
      else {
        for (const c of it.candidates || []) actions.push(btn('log_to', `Log to ${c.name || c.id} (${c.module === 'Contacts' ? 'contact' : 'lead'})`, 'primary', c));
        if (it.kind !== 'failed') actions.push(btn('create_new', 'Create a new lead'));
        actions.push(btn('retry', 'Retry sync'));
        actions.push(btn('ignore', 'Ignore', 'ghost'));
      }
    }
    const res = it.resolution;
    return h('article', { class: ['review-item', 'card', it.status !== 'open' && 'resolved'], testid: 'review-item', data: { reviewId: String(it.id), status: it.status, kind: it.kind } },
      h('div', { class: 'review-head' },
        h('h3', {}, REVIEW_TITLE[it.kind] || it.kind),
        h('span', { class: 'muted small', data: { rel: it.created_at } }, relTime(it.created_at))),
      h('div', { class: 'review-call' },
        h('span', { class: 'mono' }, showNumber(it.number_e164) || (call && showNumber(call.number_raw)) || 'no number'),
        call ? h('span', { class: 'muted' }, ` · ${TYPE_LABEL[call.type] || call.type} on ${deviceName(call.device_id)} · ${timeOfDay(call.started_at)}${call.lead_source ? ` · ${call.lead_source}` : ''}`) : null),
      it.detail ? h('p', { class: 'muted small' }, it.detail) : null,
      (it.candidates || []).length ? h('ul', { class: 'candidates' }, it.candidates.map((c) => h('li', {}, `${c.name || '(no name)'} · ${c.module} ${c.id}`))) : null,
      actions.length ? h('div', { class: 'actions' }, actions) : null,
      res ? h('p', { class: 'resolution muted small' }, `Resolved: ${res.action.replace('_', ' ')}${res.record_id ? ` → ${res.record_id}` : ''}${res.by ? ` by ${res.by}` : ''} ${relTime(res.at)}`) : null);
  };
  replace($('review-list'), open.map(card), done.length ? h('h2', { class: 'section-title' }, 'Recently resolved') : null, done.map(card));
  renderStats();
}

// ---------------------------------------------------------------- recovery board

const caseKey = (c) => String(c.id ?? '');

async function loadRecovery() {
  try {
    const r = await api('GET', '/v1/recovery?status=open,attempted&limit=1000');
    state.recovery.cases = new Map();
    for (const c of items(r)) state.recovery.cases.set(caseKey(c), c);
    state.recovery.summary = (r && r.summary) || null;
    state.recovery.available = true;
    state.recovery.error = '';
  } catch (e) {
    if (e instanceof ApiError && e.missing) state.recovery.available = false;
    else state.recovery.error = errorText(e);
  }
  state.recovery.loaded = true;
}

function renderRecovery() {
  const board = $('recovery-board');
  if (!state.recovery.loaded) { replace(board, h('p', { class: 'muted' }, 'Loading…')); return; }
  if (!state.recovery.available) { replace($('recovery-summary')); replace(board, unavailable('Missed-call recovery')); return; }
  if (state.recovery.error) { replace(board, h('p', { class: 'error' }, state.recovery.error)); return; }
  const cases = [...state.recovery.cases.values()]
    .filter((c) => c.status === 'open' || c.status === 'attempted')
    .sort((a, b) => (b.sla_breached === true) - (a.sla_breached === true) || Date.parse(a.first_missed_at) - Date.parse(b.first_missed_at));
  const s = state.recovery.summary || {};
  const stat = (k, label, v) => h('div', { class: 'stat', testid: `stat-${k}` }, h('div', { class: 'stat-value' }, String(v)), h('div', { class: 'stat-label' }, label));
  replace($('recovery-summary'),
    stat('rec-open', 'Waiting for a callback', cases.filter((c) => c.status === 'open').length),
    stat('rec-attempted', 'Called back, not reached', cases.filter((c) => c.status === 'attempted').length),
    stat('rec-breached', 'Past the SLA', cases.filter((c) => breached(c)).length),
    stat('rec-rate', 'Recovery rate', percent(s.recovery_rate)),
    stat('rec-first', 'Median time to first callback', humanSeconds(s.median_time_to_first_attempt_s)));
  if (!cases.length) { replace(board, h('p', { class: 'empty' }, 'No missed calls waiting. Every caller has been called back.')); return; }
  replace(board, h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, ['Caller', 'Status', 'Waiting', 'SLA', 'Misses', 'Callbacks', 'Campaign', 'Phone'].map((t) => h('th', {}, t)))),
    h('tbody', {}, cases.map((c) => {
      const br = breached(c);
      return h('tr', { class: [br && 'breached'], testid: 'recovery-row', data: { key: caseKey(c), breached: String(br), status: c.status } },
        h('td', { class: 'mono' }, showNumber(c.number_e164)),
        h('td', {}, h('span', { class: ['chip', c.status] }, c.status === 'open' ? 'Not called back' : 'Attempted')),
        h('td', { class: 'mono timer', testid: 'recovery-timer', data: { since: c.first_missed_at || '' } }, clock((Date.now() - Date.parse(c.first_missed_at)) / 1000)),
        h('td', {}, br ? h('span', { class: 'status failed' }, 'Breached') : c.sla_due_at ? h('span', { class: 'muted', data: { rel: c.sla_due_at } }, relTime(c.sla_due_at)) : '—'),
        h('td', {}, String(c.miss_count ?? 1)),
        h('td', {}, String(c.attempts || 0)),
        h('td', {}, [c.lead_source, c.campaign].filter(Boolean).join(' · ') || '—'),
        h('td', {}, c.device_id ? deviceName(c.device_id) : '—'));
    })))));
}

function breached(c) {
  return c.sla_breached === true || (!!c.sla_due_at && c.status === 'open' && Date.now() > Date.parse(c.sla_due_at));
}

// ---------------------------------------------------------------- reports

/** loadReport reads and draws the report; quiet (a live refresh) keeps the old one on screen meanwhile. */
async function loadReport(e, quiet = false) {
  if (e) e.preventDefault();
  const body = $('report-body');
  if (!quiet) replace(body, h('p', { class: 'muted' }, 'Loading…'));
  const group = $('report-group').value;
  let r;
  try {
    // Dates go as YYYY-MM-DD: the server reads them as days in the org's time zone (to included).
    r = await api('GET', `/v1/reports/summary${query({ from: $('report-from').value, to: $('report-to').value, group_by: group })}`);
  } catch (err) {
    replace(body, err instanceof ApiError && err.missing ? unavailable('Reporting') : h('p', { class: 'error' }, errorText(err)));
    return;
  }
  state.report.loaded = true;
  // Without recovery cases a rate is not 0 %, it is not defined.
  const rate = (x) => (x.cases === 0 ? null : x.recovery_rate);
  const rows = (r.rows || []).map((x) => ({ ...x, recovery_rate: rate(x),
    label: x.label || (group === 'device' ? deviceName(x.key) : group === 'rep' ? repName(x.key) || x.key : x.key) || '(none)' }));
  const t = { ...(r.totals || {}) };
  t.recovery_rate = rate(t);
  const card = (label, v) => h('div', { class: 'stat' }, h('div', { class: 'stat-value' }, String(v)), h('div', { class: 'stat-label' }, label));
  replace(body,
    h('div', { class: 'stats' },
      card('Calls', t.calls ?? 0), card('Answered', t.answered ?? 0), card('Missed', t.missed ?? 0),
      card('Missed rate', percent(t.missed_rate)), card('Recovery rate', percent(t.recovery_rate)),
      card('New leads', t.new_leads ?? 0), card('Median time to callback', humanSeconds(t.median_time_to_first_attempt_s))),
    rows.length ? h('div', { class: 'charts' },
      stackedBars('volume', 'Calls: answered and missed', rows, [
        { key: 'answered', label: 'Answered', cls: 's-answered' },
        { key: 'missed', label: 'Missed', cls: 's-missed' }]),
      rateBars('recovery', 'Recovery rate of missed calls', rows, 'recovery_rate', 's-recovery')) : h('p', { class: 'empty' }, 'No calls in this period.'),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'report-table' },
      h('thead', {}, h('tr', {}, ['', 'Calls', 'Answered', 'Missed', 'First-time', 'Repeat', 'Missed rate', 'Recovery rate', 'To callback', 'New leads', 'Review', 'Failures'].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows.map((x) => h('tr', {}, h('td', {}, x.label), h('td', {}, x.calls), h('td', {}, x.answered), h('td', {}, x.missed),
        h('td', {}, x.first_time ?? '—'), h('td', {}, x.repeat ?? '—'), h('td', {}, percent(x.missed_rate)), h('td', {}, percent(x.recovery_rate)),
        h('td', {}, humanSeconds(x.median_time_to_first_attempt_s)), h('td', {}, x.new_leads ?? '—'), h('td', {}, x.review_items ?? '—'), h('td', {}, x.failures ?? '—'))))),
    ) : null,
    h('p', { class: 'muted small' }, `Days in ${r.time_zone || 'the org\'s time zone'}.`));
}

// ---------------------------------------------------------------- owners

async function renderOwners() {
  if (state.view !== 'owners') return;
  await loadCrmUsers();
  const users = state.crmUsers || [];
  replace($('owner-rows'), state.reps.length ? state.reps.map((r) => h('tr', { testid: 'owner-row', data: { repId: r.id, crmUserId: r.crm_user_id || '' } },
    h('td', {}, r.name), h('td', { class: 'muted' }, r.email || ''),
    h('td', {}, h('select', { testid: 'owner-select', disabled: !canManage(), 'aria-label': `CRM user for ${r.name}`, on: { change: (e) => mapOwner(r, e.target) } },
      h('option', { value: '' }, '— Not mapped (no owner set) —'),
      r.crm_user_id && !users.some((u) => u.id === r.crm_user_id) ? h('option', { value: r.crm_user_id, selected: true }, `${r.crm_user_id} (inactive in the CRM)`) : null,
      users.map((u) => h('option', { value: u.id, selected: u.id === r.crm_user_id }, `${u.name}${u.email ? ` <${u.email}>` : ''}`)))))) :
    h('tr', {}, h('td', { colspan: 3, class: 'empty' }, 'No reps yet. Add one below.')));
  $('rep-form').hidden = !canManage();
}

async function mapOwner(rep, sel) {
  sel.disabled = true;
  try {
    const r = await api('PUT', `/v1/reps/${encodeURIComponent(rep.id)}/crm-user`, { crm_user_id: sel.value });
    const i = state.reps.findIndex((x) => x.id === r.id);
    if (i >= 0) state.reps[i] = r;
    const row = sel.closest('tr');
    if (row) row.dataset.crmUserId = r.crm_user_id || '';
    toast(sel.value ? `${rep.name} now owns their CRM records` : `${rep.name} is no longer mapped`, 'ok');
  } catch (err) { toast(errorText(err), 'error'); renderOwners(); } finally { sel.disabled = false; }
}

async function addRep(e) {
  e.preventDefault();
  try {
    const r = await api('POST', '/v1/reps', { name: $('rep-name').value.trim(), email: $('rep-email').value.trim() });
    if (!state.reps.some((x) => x.id === r.id)) state.reps.push(r);
    e.target.reset();
    toast(`Added ${r.name}`, 'ok');
    renderOwners();
  } catch (err) { toast(errorText(err), 'error'); }
}

// ---------------------------------------------------------------- backfill

function renderBackfill() {
  const b = state.backfill;
  const body = $('backfill-body');
  if (!canManage()) { replace(body, h('p', { class: 'muted' }, 'Backfill is for managers.')); return; }
  if (body.querySelector('#backfill-form')) { renderBackfillResult(); renderBackfillProgress(); return; }
  const week = new Date(Date.now() - 7 * 86400000);
  const devices = [...state.devices.values()].filter((d) => d.active);
  replace(body,
    h('form', { id: 'backfill-form', class: 'card', testid: 'backfill-form', on: { submit: (e) => { e.preventDefault(); runBackfill(true); } } },
      h('div', { class: 'form-row' },
        h('label', {}, 'From', h('input', { id: 'backfill-from', type: 'date', value: dateInput(week), required: true, testid: 'backfill-from' })),
        h('label', {}, 'To', h('input', { id: 'backfill-to', type: 'date', value: dateInput(new Date()), required: true, testid: 'backfill-to' }))),
      h('fieldset', { class: 'devices' }, h('legend', {}, 'Phones (none ticked = all)'),
        devices.map((d) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: d.id, testid: 'backfill-device' }), d.nickname || d.id))),
      h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary', testid: 'backfill-preview' }, 'Preview (dry run)'),
        h('button', { type: 'button', id: 'backfill-run', testid: 'backfill-run', disabled: true, on: { click: () => runBackfill(false) } }, 'Run backfill'))),
    h('div', { id: 'backfill-result', testid: 'backfill-preview-result' }),
    h('div', { id: 'backfill-progress-box' }));
  renderBackfillResult();
  renderBackfillProgress();
}

function backfillBody(dryRun) {
  const ids = [...document.querySelectorAll('[data-testid="backfill-device"]:checked')].map((x) => x.value);
  return { from: fromDateInput($('backfill-from').value), to: fromDateInput($('backfill-to').value, true), device_ids: ids, dry_run: dryRun };
}

async function runBackfill(dryRun) {
  const b = state.backfill;
  b.error = '';
  try {
    const r = await api('POST', '/v1/backfill', backfillBody(dryRun));
    if (dryRun) b.preview = r;
    else {
      b.runId = r.backfill_id || '';
      b.progress[b.runId] = b.progress[b.runId] || { done: 0, total: r.calls ?? 0, finished: false };
      b.preview = null;
    }
  } catch (err) {
    b.error = err instanceof ApiError && err.missing ? 'missing' : errorText(err);
  }
  renderBackfillResult();
  renderBackfillProgress();
}

function renderBackfillResult() {
  const out = $('backfill-result');
  if (!out) return;
  const b = state.backfill;
  const run = b.progress[b.runId];
  $('backfill-run').disabled = !b.preview || (run && !run.finished);
  if (b.error === 'missing') { replace(out, unavailable('Backfill')); return; }
  if (b.error) { replace(out, h('p', { class: 'error', role: 'alert' }, b.error)); return; }
  const p = b.preview;
  if (!p) { replace(out); return; }
  const writes = p.writes || [];
  const byOp = {};
  for (const w of writes) byOp[w.op] = (byOp[w.op] || 0) + 1;
  replace(out, h('div', { class: 'card' },
    h('h2', {}, `Preview: ${p.calls ?? 0} calls`),
    h('p', {}, Object.keys(byOp).length ? Object.entries(byOp).map(([op, n]) => `${n} × ${op.replace(/_/g, ' ')}`).join(' · ') : 'Nothing would be written.'),
    writes.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table compact' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Call'), h('th', {}, 'Write'), h('th', {}, 'Module'), h('th', {}, 'What'))),
      h('tbody', {}, writes.slice(0, 100).map((w) => h('tr', {}, h('td', {}, String(w.call_id)), h('td', {}, (w.op || '').replace(/_/g, ' ')), h('td', {}, w.module || ''), h('td', {}, w.summary || '')))))) : null,
    writes.length > 100 ? h('p', { class: 'muted small' }, `…and ${writes.length - 100} more.`) : null,
    (p.skipped || []).length ? h('details', {}, h('summary', {}, `${p.skipped.length} calls skipped`),
      h('ul', {}, p.skipped.slice(0, 100).map((s) => h('li', {}, `Call ${s.call_id}: ${s.reason}`)))) : null));
}

function renderBackfillProgress() {
  const box = $('backfill-progress-box');
  if (!box) return;
  const r = state.backfill.runId && state.backfill.progress[state.backfill.runId];
  if (!r) { replace(box); return; }
  const total = Number(r.total) || 0, done = Number(r.done) || 0;
  const pct = total ? Math.min(100, Math.round((done / total) * 100)) : (r.finished ? 100 : 0);
  const bar = h('div', { class: 'progress-bar' });
  bar.style.width = `${pct}%`; // CSSOM, allowed by the CSP (unlike a style attribute)
  replace(box, h('div', { class: 'card' },
    h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total, 'aria-valuenow': done, testid: 'backfill-progress', data: { done: String(done), total: String(total) } }, bar),
    h('p', { testid: 'backfill-status' }, r.finished ? `Backfill done: ${done} of ${total} calls.` : `Backfill running: ${done} of ${total} calls (${pct}%).`)));
  if ($('backfill-run')) $('backfill-run').disabled = !state.backfill.preview || !r.finished;
}

// ---------------------------------------------------------------- settings

const SETTINGS_FIELDS = [
  ['default_region', 'Default region (ISO country code, e.g. IN)', 'text'],
  ['time_zone', 'Time zone (IANA, e.g. Asia/Kolkata)', 'text'],
  ['lead_placeholder', 'Last name for new Leads', 'text'],
  ['task_prefix', 'Callback task subject prefix', 'text'],
  ['task_due_offset_minutes', 'Task due offset (minutes)', 'number'],
  ['tasks_enabled', 'Create callback tasks for missed calls', 'checkbox'],
  ['call_result_map.inbound', 'Call result for answered calls', 'text'],
  ['call_result_map.missed', 'Call result for missed calls', 'text'],
  ['rules.min_answered_seconds', 'Ignore answered calls shorter than (s)', 'number'],
  ['rules.connected_min_seconds', 'A callback counts as connected from (s)', 'number'],
  ['rules.repeat_window_minutes', 'Repeat-caller window for reports (min)', 'number'],
  ['rules.blocked_numbers', 'Blocked numbers (one per line)', 'list'],
  ['rules.internal_numbers', 'Internal numbers (one per line)', 'list'],
];

const getPath = (o, p) => p.split('.').reduce((x, k) => (x == null ? undefined : x[k]), o);
function setPath(o, p, v) {
  const ks = p.split('.');
  let x = o;
  for (const k of ks.slice(0, -1)) x = x[k] = x[k] || {};
  x[ks[ks.length - 1]] = v;
}

async function renderSettings() {
  if (state.view !== 'settings') return;
  renderCRMCard();
  const body = $('settings-body');
  if (!state.settings) {
    try { state.settings = await api('GET', '/v1/settings'); } catch (err) {
      replace(body, err instanceof ApiError && err.status === 403 ? h('p', { class: 'muted' }, 'Settings are for admins.') : h('p', { class: 'error' }, errorText(err)));
      return;
    }
  }
  const ro = !isAdmin();
  const s = state.settings;
  replace(body, h('form', { id: 'settings-form', class: 'card settings', testid: 'settings-form', on: { submit: saveSettings } },
    SETTINGS_FIELDS.map(([path, label, type]) => {
      const id = `settings-${path.replace(/[._]/g, '-')}`;
      const v = getPath(s, path);
      if (type === 'checkbox') return h('label', { class: 'check' }, h('input', { id, type: 'checkbox', checked: !!v, disabled: ro, testid: id }), label);
      if (type === 'list') return h('label', {}, label, h('textarea', { id, rows: 3, value: (v || []).join('\n'), disabled: ro, testid: id }));
      return h('label', {}, label, h('input', { id, type, value: v ?? '', disabled: ro, testid: id, min: type === 'number' ? 0 : null }));
    }),
    ro ? h('p', { class: 'muted small' }, 'Only an admin can change settings.') : h('button', { type: 'submit', class: 'primary', testid: 'settings-save' }, 'Save settings')));
}

async function saveSettings(e) {
  e.preventDefault();
  const out = structuredClone(state.settings);
  for (const [path, , type] of SETTINGS_FIELDS) {
    const el = $(`settings-${path.replace(/[._]/g, '-')}`);
    let v;
    if (type === 'checkbox') v = el.checked;
    else if (type === 'number') v = Number(el.value || 0);
    else if (type === 'list') v = el.value.split(/[\n,]/).map((x) => x.trim()).filter(Boolean);
    else v = el.value.trim();
    setPath(out, path, v);
  }
  try {
    state.settings = await api('PUT', '/v1/settings', out);
    toast('Settings saved', 'ok');
    renderSettings();
  } catch (err) { toast(errorText(err), 'error'); }
}

// ---------------------------------------------------------------- CRM connection (settings)

// The result of the Zoho connect flow arrives as ?zoho=connected or ?zoho_error=<reason> on
// the redirect back to #/settings; it is read once and taken out of the address bar.
const CRM_RESULT = (() => {
  const q = new URLSearchParams(location.search);
  const r = q.get('zoho_error') || (q.get('zoho') === 'connected' ? 'connected' : '');
  if (q.has('zoho') || q.has('zoho_error')) history.replaceState(null, '', location.pathname + location.hash);
  return r;
})();

const CRM_RESULT_TEXT = {
  connected: 'Zoho is connected. Calls sync from now on.',
  access_denied: 'The connection was cancelled on Zoho\'s consent screen.',
  invalid_state: 'That connection link was unknown or already used. Start again.',
  expired_state: 'The connection took longer than 10 minutes. Start again.',
  accounts_server: 'Zoho sent the browser back from an unknown accounts server; nothing was stored.',
  exchange_failed: 'Zoho refused the authorization (it may have expired). Start again.',
  store_failed: 'The server could not save the connection. Check its logs.',
};

async function renderCRMCard() {
  const card = $('crm-card');
  if (!card) return;
  let st;
  try { st = await api('GET', '/v1/crm/status'); } catch (err) {
    card.hidden = true; // not on this server (404) or not for this role
    return;
  }
  const zoho = st.mode === 'zoho';
  const where = st.data_centre ? ` (data centre ${st.data_centre})` : '';
  const status = zoho
    ? (st.connected ? `Zoho CRM: connected${where}.` : 'Zoho CRM: not connected. Calls wait as pending until an admin connects Zoho.')
    : 'Sandbox CRM: the bundled fake Zoho, connected.';
  const result = CRM_RESULT && h('p', {
    class: ['banner', CRM_RESULT === 'connected' ? 'ok' : 'error'], testid: 'crm-result', data: { result: CRM_RESULT },
    role: 'status',
  }, CRM_RESULT_TEXT[CRM_RESULT] || 'Zoho could not be connected. Start again.');
  const button = zoho && st.can_connect && isAdmin() && h('button', {
    type: 'button', class: 'primary', testid: 'crm-connect', on: { click: connectZoho },
  }, st.connected ? 'Reconnect Zoho' : 'Connect Zoho');
  card.dataset.mode = st.mode;
  card.dataset.connected = String(!!st.connected);
  replace(card, h('h2', {}, 'CRM connection'), result || null,
    h('p', { testid: 'crm-status', class: st.connected ? '' : 'error' }, status), button || null);
  card.hidden = false;
}

async function connectZoho(e) {
  e.target.disabled = true;
  try {
    const { url } = await api('POST', '/v1/crm/zoho/connect');
    location.assign(url); // Zoho's consent screen; it comes back to #/settings
  } catch (err) {
    e.target.disabled = false;
    toast(errorText(err), 'error');
  }
}

// ---------------------------------------------------------------- team and API tokens

const ROLE_LABEL = { admin: 'Admin', manager: 'Manager', rep: 'Rep' };

async function renderTeam() {
  if (state.view !== 'team') return;
  const body = $('team-body');
  const parts = [];
  if (isAdmin()) {
    let users = null, err = '';
    try { users = items(await api('GET', '/v1/users')); } catch (e) { err = e instanceof ApiError && e.missing ? '' : errorText(e); }
    if (users) parts.push(usersCard(users));
    else if (err) parts.push(h('p', { class: 'error' }, err));
  }
  parts.push(await tokensCard());
  replace(body, parts);
}

function usersCard(users) {
  const repSel = h('select', { id: 'user-rep', testid: 'user-rep' }, repOptions(''));
  const roleSel = h('select', { id: 'user-role', testid: 'user-role' },
    ['manager', 'rep', 'admin'].map((r) => h('option', { value: r }, ROLE_LABEL[r])));
  const out = h('div', { id: 'user-out' });
  return h('div', { class: 'card team-card' },
    h('h2', {}, 'People who can sign in'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'user-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Email', 'Role', 'Rep', ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, users.map((u) => h('tr', { testid: 'user-row', data: { userId: u.id, disabled: String(!!u.disabled) }, class: u.disabled ? 'muted' : '' },
        h('td', {}, u.name || '—'), h('td', {}, u.email), h('td', {}, ROLE_LABEL[u.role] || u.role),
        h('td', {}, u.rep_id ? repName(u.rep_id) || u.rep_id : '—'),
        h('td', {}, u.id === state.me.id ? h('span', { class: 'muted small' }, 'you') : h('button', {
          type: 'button', class: 'ghost', testid: 'user-toggle',
          on: { click: async () => {
            try { await api('PATCH', `/v1/users/${encodeURIComponent(u.id)}`, { disabled: !u.disabled }); renderTeam(); } catch (e) { toast(errorText(e), 'error'); }
          } },
        }, u.disabled ? 'Enable' : 'Disable'))))))),
    h('form', { class: 'form-row', testid: 'user-form', on: { submit: async (e) => {
      e.preventDefault();
      const body = { email: $('user-email').value.trim(), name: $('user-name').value.trim(), role: roleSel.value, rep_id: roleSel.value === 'rep' ? repSel.value : '', password: $('user-password').value };
      try {
        await api('POST', '/v1/users', body);
        toast(`${body.name || body.email} can sign in now`, 'ok');
        renderTeam();
      } catch (err) { replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err))); }
    } } },
    h('label', {}, 'Email', h('input', { id: 'user-email', type: 'email', required: true, testid: 'user-email', autocomplete: 'off' })),
    h('label', {}, 'Name', h('input', { id: 'user-name', testid: 'user-name' })),
    h('label', {}, 'Role', roleSel),
    h('label', {}, 'Rep (for a rep)', repSel),
    h('label', {}, 'Password (10+ characters)', h('input', { id: 'user-password', type: 'password', required: true, minlength: 10, testid: 'user-password', autocomplete: 'new-password' })),
    h('button', { type: 'submit', class: 'primary', testid: 'user-submit' }, 'Add person')),
    out);
}

async function tokensCard() {
  const card = h('div', { class: 'card team-card' }, h('h2', {}, 'Your API tokens'),
    h('p', { class: 'muted small' }, 'For scripts: send "Authorization: Bearer <token>". A token acts as you, with your role.'));
  let tokens;
  try {
    tokens = items(await api('GET', '/v1/tokens'));
  } catch (e) {
    card.append(h('p', { class: 'muted' }, e instanceof ApiError && e.status === 403
      ? 'Signed in with the bootstrap admin token: sign in as a person to have API tokens.'
      : e instanceof ApiError && e.missing ? 'API tokens are not available on this server.' : errorText(e)));
    return card;
  }
  const out = h('div', { id: 'token-out' });
  card.append(
    tokens.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'api-token-table' },
      h('thead', {}, h('tr', {}, ['Name', 'Starts with', 'Created', 'Last used', 'Expires', ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, tokens.map((t) => h('tr', { testid: 'api-token-row', data: { tokenId: t.id } },
        h('td', {}, t.name), h('td', { class: 'mono' }, `${t.prefix}…`), h('td', {}, relTime(t.created_at)),
        h('td', {}, t.last_used_at ? relTime(t.last_used_at) : 'never'), h('td', {}, t.expires_at ? dateTime(t.expires_at) : 'never'),
        h('td', {}, h('button', { type: 'button', class: 'ghost', testid: 'api-token-revoke', on: { click: async () => {
          try { await api('DELETE', `/v1/tokens/${encodeURIComponent(t.id)}`); toast('Token revoked', 'ok'); renderTeam(); } catch (e) { toast(errorText(e), 'error'); }
        } } }, 'Revoke'))))))) : h('p', { class: 'muted' }, 'No tokens yet.'),
    h('form', { class: 'form-row', testid: 'api-token-form', on: { submit: async (e) => {
      e.preventDefault();
      try {
        const r = await api('POST', '/v1/tokens', { name: $('token-name').value.trim(), expires_in_days: Number($('token-days').value || 0) });
        await renderTeam();
        replace($('token-out'), h('div', { class: 'banner warn' }, 'Copy it now, it is shown once: ',
          h('code', { class: 'mono', testid: 'api-token-secret' }, r.token)));
      } catch (err) { replace(out, h('p', { class: 'error', role: 'alert' }, errorText(err))); }
    } } },
    h('label', {}, 'Name', h('input', { id: 'token-name', required: true, placeholder: 'e.g. nightly export', testid: 'api-token-name' })),
    h('label', {}, 'Expires after (days, 0 = never)', h('input', { id: 'token-days', type: 'number', min: 0, value: 90, testid: 'api-token-days' })),
    h('button', { type: 'submit', class: 'primary', testid: 'api-token-submit' }, 'Create token')),
    out);
  return card;
}

// ---------------------------------------------------------------- sandbox CRM

const SANDBOX_MODULES = ['Leads', 'Contacts', 'Calls', 'Tasks'];
const SANDBOX_ROWS = 100;

function sandboxState() {
  // related: {id, name} of the Lead or Contact whose Calls or Tasks are listed, or null.
  // seq numbers the reads: only the latest one's answer is shown.
  return { available: false, module: 'Leads', data: null, loaded: false, error: '', highlight: '', related: null, seq: 0 };
}

/** probeSandbox asks whether this server shows its fake CRM: 404 (not sandbox mode) or 403
 * (a rep) hide the screen; the tab appears when the route answers. */
async function probeSandbox() {
  state.sandbox = sandboxState();
  if (canManage()) {
    try {
      await api('GET', `/v1/sandbox/crm${query({ limit: 1 })}`);
      state.sandbox.available = true;
    } catch (e) {
      if (!(e instanceof ApiError && (e.status === 404 || e.status === 403))) state.sandbox.available = true; // show the error there
    }
  }
  document.querySelector('.nav a[data-view="sandbox"]').hidden = !state.sandbox.available;
}

/** sandboxChanged follows a write to the CRM: the screen reads again (at most every
 * REFRESH_MS); another screen reads it when it is next shown. */
function sandboxChanged() {
  if (!state.sandbox.available) return;
  if (state.view === 'sandbox') refreshSoon('sandbox', () => loadSandbox(true));
  else state.sandbox.loaded = false;
}

function showSandbox() {
  if (state.sandbox.loaded) renderSandbox();
  else loadSandbox(false);
}

/** loadSandbox reads the current module; quiet (a live refresh) keeps the table meanwhile. */
async function loadSandbox(quiet) {
  const sb = state.sandbox;
  const seq = ++sb.seq;
  if (!quiet) { sb.data = null; renderSandbox(); }
  try {
    const related = sb.related ? sb.related.id : '';
    const r = await api('GET', `/v1/sandbox/crm${query({ module: sb.module, limit: SANDBOX_ROWS, related })}`);
    if (sb !== state.sandbox || seq !== sb.seq) return; // signed out, or a newer read started meanwhile
    sb.data = r;
    sb.error = '';
  } catch (e) {
    if (sb !== state.sandbox || seq !== sb.seq) return;
    sb.error = errorText(e);
  }
  sb.loaded = true;
  if (state.view === 'sandbox') renderSandbox();
}

function selectSandboxModule(module, highlight = '', related = null) {
  state.sandbox.module = module;
  state.sandbox.highlight = highlight;
  state.sandbox.related = related;
  loadSandbox(false);
}

const sbName = (r) => r.Full_Name || r.Last_Name || '';
const sbOwner = (r) => (r.Owner && (r.Owner.name || r.Owner.id)) || '—';

/** sandboxLink is a Call's or Task's link to its Lead or Contact; a click shows that record. */
function sandboxLink(ref) {
  if (!ref || !ref.id) return '—';
  const target = ref.module || 'Leads';
  return h('button', {
    type: 'button', class: ['link', 'record-link'], testid: 'sandbox-link', data: { module: target, recordId: ref.id },
    title: `Show this ${target === 'Contacts' ? 'Contact' : 'Lead'}`,
    on: { click: () => selectSandboxModule(target, ref.id) },
  }, `${ref.name || ref.id} (${target === 'Contacts' ? 'Contact' : 'Lead'})`);
}

/** sandboxActivity links a Lead or Contact to its Calls and Tasks. */
function sandboxActivity(r) {
  const linked = r.linked || {};
  const out = [];
  for (const [m, one] of [['Calls', 'call'], ['Tasks', 'task']]) {
    const n = linked[m] || 0;
    if (!n) continue;
    if (out.length) out.push(' · ');
    out.push(h('button', {
      type: 'button', class: ['link', 'record-link'], testid: 'sandbox-related', data: { module: m, recordId: r.id },
      on: { click: () => selectSandboxModule(m, '', { id: r.id, name: sbName(r) || r.id }) },
    }, `${n} ${one}${n === 1 ? '' : 's'}`));
  }
  return out.length ? out : '—';
}

const SANDBOX_COLUMNS = {
  person: [
    ['Name', (r) => [sbName(r) || '—', r.converted ? [' ', h('span', { class: 'chip' }, 'converted')] : null]],
    ['Phone', (r) => h('span', { class: 'mono' }, r.Phone || r.Mobile || '—')],
    ['Lead Source', (r) => r.Lead_Source || '—'],
    ['Owner', sbOwner],
    ['Activity', sandboxActivity],
  ],
  Calls: [
    ['Subject', (r) => r.Subject || '—'],
    ['Type', (r) => h('span', { class: ['chip', (r.Call_Type || '').toLowerCase()] }, r.Call_Type || '—')],
    ['Started', (r) => dateTime(r.Call_Start_Time) || '—'],
    ['Duration', (r) => h('span', { class: 'mono' }, r.Call_Duration || '—')],
    ['Related to', (r) => sandboxLink(r.What_Id || r.Who_Id)],
    ['Owner', sbOwner],
  ],
  Tasks: [
    ['Subject', (r) => r.Subject || '—'],
    ['Status', (r) => r.Status || '—'],
    ['Due', (r) => r.Due_Date || '—'],
    ['Related to', (r) => sandboxLink(r.What_Id || r.Who_Id)],
    ['Owner', sbOwner],
  ],
};

function renderSandbox() {
  const sb = state.sandbox;
  const counts = (sb.data && sb.data.counts) || {};
  replace($('sandbox-tabs'), SANDBOX_MODULES.map((m) => h('button', {
    type: 'button', role: 'tab', testid: 'sandbox-tab', 'aria-selected': String(m === sb.module),
    data: { module: m, count: String(counts[m] ?? '') },
    on: { click: () => { if (m !== sb.module) selectSandboxModule(m); } },
  }, m, ' ', h('span', { class: 'tab-count' }, counts[m] === undefined ? '…' : String(counts[m])))));
  const body = $('sandbox-body');
  if (sb.error) { replace(body, h('p', { class: 'error', role: 'alert' }, sb.error)); return; }
  if (!sb.data) { replace(body, h('p', { class: 'muted' }, 'Loading…')); return; }
  const rows = sb.data.records || [];
  const filter = sb.related ? h('div', { class: 'banner info', testid: 'sandbox-filter', data: { related: sb.related.id } },
    `${sb.module} related to ${sb.related.name} `,
    h('button', { type: 'button', class: 'link', testid: 'sandbox-filter-clear', on: { click: () => selectSandboxModule(sb.module) } }, 'Show all')) : null;
  if (!rows.length) {
    replace(body, filter, h('p', { class: 'empty', testid: 'sandbox-empty' },
      sb.related ? `No ${sb.module} related to ${sb.related.name}.` : `No ${sb.module} yet. Synced calls write them here.`));
    return;
  }
  const cols = [...(SANDBOX_COLUMNS[sb.module] || SANDBOX_COLUMNS.person),
    ['Sync key', (r) => h('span', { class: 'mono small' }, r.LC_Sync_Key || '—')],
    ['Created', (r) => dateTime(r.Created_Time) || '—']];
  const missing = sb.highlight && !rows.some((r) => r.id === sb.highlight);
  replace(body, filter,
    missing ? h('p', { class: 'banner warn', testid: 'sandbox-missing' }, `That record is not among the newest ${rows.length} ${sb.module}.`) : null,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'sandbox-table', data: { module: sb.module } },
      h('thead', {}, h('tr', {}, cols.map(([t]) => h('th', {}, t)))),
      h('tbody', {}, rows.map((r) => h('tr', {
        class: [r.id === sb.highlight && 'highlight'], testid: 'sandbox-row',
        data: { recordId: r.id, module: sb.module, highlight: String(r.id === sb.highlight) },
      }, cols.map(([, cell]) => h('td', {}, cell(r)))))))),
    !sb.related && sb.data.counts && sb.data.counts[sb.module] > rows.length
      ? h('p', { class: 'muted small' }, `The newest ${rows.length} of ${sb.data.counts[sb.module]}.`) : null);
  const hl = body.querySelector('tr.highlight');
  if (hl && hl.scrollIntoView) hl.scrollIntoView({ block: 'nearest' });
}

// ---------------------------------------------------------------- views

const renderers = {
  grid: () => { renderGrid(); },
  stats: renderStats,
  panel: () => renderPanel(false),
  calls: renderCalls,
  callFilters: renderCallFilters,
  review: renderReview,
  recovery: renderRecovery,
  owners: () => { renderOwners(); },
  settings: () => { renderSettings(); },
  backfillProgress: renderBackfillProgress,
};

function renderAll() {
  renderGrid();
  renderCallFilters();
  renderCalls();
  renderReview();
  renderView();
}

function route() {
  const v = (location.hash.match(/^#\/(\w+)/) || [])[1];
  state.view = VIEWS.includes(v) ? v : 'command';
  if (state.me && !canManage() && ['owners', 'backfill', 'settings'].includes(state.view)) state.view = 'command';
  if (state.ready && state.view === 'sandbox' && !state.sandbox.available) state.view = 'command';
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== state.view;
  for (const a of document.querySelectorAll('.nav a')) a.classList.toggle('active', a.dataset.view === state.view);
  if (state.ready) renderView();
}

async function renderView() {
  switch (state.view) {
    case 'recovery':
      if (!state.recovery.loaded) { renderRecovery(); await loadRecovery(); }
      renderRecovery();
      renderStats();
      break;
    case 'reports':
      if (!state.report.loaded) loadReport();
      break;
    case 'owners': renderOwners(); break;
    case 'settings': renderSettings(); break;
    case 'team': renderTeam(); break;
    case 'backfill': renderBackfill(); break;
    case 'sandbox': showSandbox(); break;
    case 'calls': renderCallFilters(); renderCalls(); break;
    default: break;
  }
}

// Timers: recovery clocks tick every second; relative times and online dots every 15 s; the
// "today" counters roll over at midnight.
function tick(n) {
  for (const el of document.querySelectorAll('[data-testid="recovery-timer"]')) {
    const t = Date.parse(el.dataset.since);
    if (!Number.isNaN(t)) el.textContent = clock((Date.now() - t) / 1000);
  }
  if (n % 15 === 0 && state.ready) {
    for (const el of document.querySelectorAll('[data-rel]')) if (el.dataset.rel) el.textContent = relTime(el.dataset.rel);
    // The period follows the clock: at midnight "today" starts again.
    if (periodStart(state.period) !== state.periodStart) state.periodStart = periodStart(state.period);
    invalidate('grid', 'panel');
    if (state.view === 'recovery') invalidate('recovery');
  }
}

// ---------------------------------------------------------------- boot

function wire() {
  $('login-form').addEventListener('submit', loginWithPassword);
  $('token-form').addEventListener('submit', loginWithToken);
  $('logout').addEventListener('click', logout);
  $('panel-close').addEventListener('click', closePanel);
  $('scrim').addEventListener('click', closePanel);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && state.panel) closePanel(); });
  $('device-add').addEventListener('click', openNewDevice);
  $('device-search').addEventListener('input', renderGrid);
  $('device-filter').addEventListener('change', renderGrid);
  $('device-period').addEventListener('change', async (e) => {
    state.period = e.target.value;
    try { await loadPeriodCalls(); } catch (err) { toast(errorText(err), 'error'); }
    renderGrid();
  });
  $('call-filters').addEventListener('submit', applyCallFilters);
  $('calls-more').addEventListener('click', moreCalls);
  $('report-form').addEventListener('submit', loadReport);
  $('rep-form').addEventListener('submit', addRep);
  window.addEventListener('hashchange', route);
  const today = new Date();
  $('report-from').value = dateInput(new Date(today.getTime() - 13 * 86400000));
  $('report-to').value = dateInput(today);
  whenUnauthorized(() => { setToken(''); showLogin('Your session has ended. Please sign in again.'); });
  let n = 0;
  setInterval(() => tick(++n), 1000);
}

async function boot() {
  wire();
  route();
  try {
    await start(await whoAmI());
  } catch (e) {
    if (e instanceof ApiError && (e.status === 401 || e.missing)) {
      setToken('');
      showLogin();
    } else {
      showLogin(errorText(e));
    }
  }
}

boot();
