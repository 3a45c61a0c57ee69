// Charts drawn as inline SVG elements (no library, no inline styles: colours come from classes
// in app.css, so the strict CSP holds).

import { h } from './dom.js';

const W = 720;

// niceMax rounds a count up to 1, 2 or 5 times a power of ten, so that the axis has whole ticks.
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// tickCount divides max into whole steps: 1..5 ticks.
function tickCount(max) {
  if (max <= 5) return max;
  return max % 5 === 0 ? 5 : 4;
}

function truncate(s, n) {
  s = String(s ?? '');
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/**
 * stackedBars draws one vertical bar per row, stacked by series [{key, label, cls}].
 * rows: [{label, ...values}]. Returns an <svg> with a legend, data-testid "chart-<id>".
 */
export function stackedBars(id, title, rows, series) {
  const H = 260, padL = 44, padB = 56, padT = 16, padR = 8;
  const innerW = W - padL - padR, innerH = H - padT - padB;
  const totals = rows.map((r) => series.reduce((a, s) => a + (Number(r[s.key]) || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title, 'data-testid': `chart-${id}` });
  svg.append(h('svg:title', {}, title));
  const ticks = tickCount(max);
  for (let i = 0; i <= ticks; i++) {
    const y = padT + innerH - (innerH * i) / ticks;
    svg.append(h('svg:line', { x1: padL, x2: W - padR, y1: y, y2: y, class: 'grid' }));
    svg.append(h('svg:text', { x: padL - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, String((max * i) / ticks)));
  }
  const n = Math.max(rows.length, 1);
  const slot = innerW / n;
  const bw = Math.max(4, Math.min(48, slot * 0.6));
  rows.forEach((r, i) => {
    const x = padL + slot * i + (slot - bw) / 2;
    let y = padT + innerH;
    for (const s of series) {
      const v = Number(r[s.key]) || 0;
      if (v <= 0) continue;
      const bh = (innerH * v) / max;
      y -= bh;
      svg.append(h('svg:rect', { x, y, width: bw, height: bh, class: `bar ${s.cls}`, rx: 2 },
        h('svg:title', {}, `${r.label}: ${v} ${s.label.toLowerCase()}`)));
    }
    if (n <= 31) {
      const lx = x + bw / 2, ly = padT + innerH + 14;
      svg.append(h('svg:text', { x: lx, y: ly, class: 'axis', 'text-anchor': n > 8 ? 'end' : 'middle',
        transform: n > 8 ? `rotate(-35 ${lx} ${ly})` : null }, truncate(r.label, 16)));
    }
  });
  const legend = h('div', { class: 'legend' }, series.map((s) => h('span', { class: 'legend-item' }, h('span', { class: `swatch ${s.cls}` }), s.label)));
  return h('figure', { class: 'chart-card card' }, h('figcaption', {}, title), svg, legend);
}

/** rateBars draws one horizontal bar per row for a 0..1 ratio (e.g. recovery rate). */
export function rateBars(id, title, rows, key, cls) {
  const rowH = 26, padL = 150, padR = 56;
  const H = Math.max(1, rows.length) * rowH + 8;
  const innerW = W - padL - padR;
  const svg = h('svg:svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title, 'data-testid': `chart-${id}` });
  svg.append(h('svg:title', {}, title));
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    const v = r[key];
    const known = typeof v === 'number' && !Number.isNaN(v);
    svg.append(h('svg:text', { x: padL - 8, y: y + 16, class: 'axis', 'text-anchor': 'end' }, truncate(r.label, 22)));
    svg.append(h('svg:rect', { x: padL, y: y + 4, width: innerW, height: 16, class: 'track', rx: 3 }));
    if (known) svg.append(h('svg:rect', { x: padL, y: y + 4, width: Math.max(0, Math.min(1, v)) * innerW, height: 16, class: `bar ${cls}`, rx: 3 }));
    svg.append(h('svg:text', { x: padL + innerW + 6, y: y + 16, class: 'axis' }, known ? `${Math.round(v * 100)}%` : '—'));
  });
  return h('figure', { class: 'chart-card card' }, h('figcaption', {}, title), svg);
}
