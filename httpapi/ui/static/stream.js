// The live stream: one WebSocket to GET /v1/stream. Every event has an increasing id; the last
// one seen is kept, and a reconnect resumes with ?after=<id>, so nothing is missed or repeated.
// Reconnects back off exponentially (with jitter) up to maxDelay.

import { getToken } from './api.js';

export const PROTOCOL = 'leadcall.v1';

export class LiveStream {
  /**
   * onEvent(ev) gets each event {id, type, at, call_id, data} once, in order.
   * onState(state, info) gets "connecting", "live" or "reconnecting" ({attempt, delay}).
   * onOpen({resumed}) runs on each open; resumed is false when the stream could not resume
   * from a known event (the page should reload its data).
   */
  constructor({ onEvent, onState = () => {}, onOpen = () => {}, minDelay = 500, maxDelay = 30000 }) {
    Object.assign(this, { onEvent, onState, onOpen, minDelay, maxDelay });
    this.lastId = null;
    this.attempt = 0;
    this.ws = null;
    this.timer = 0;
    this.stopped = true;
    this.opens = 0;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, 'signed out');
      this.ws = null;
    }
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const after = this.lastId !== null ? `?after=${this.lastId}` : '';
    return `${scheme}//${location.host}/v1/stream${after}`;
  }

  connect() {
    if (this.stopped) return;
    this.onState(this.opens === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt });
    const protocols = [PROTOCOL];
    const tok = getToken();
    if (tok) protocols.push(`bearer.${tok}`);
    const resumed = this.lastId !== null;
    let ws;
    try {
      this.connectedURL = this.url();
      ws = new WebSocket(this.connectedURL, protocols);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.opens++;
      this.onState('live', {});
      this.onOpen({ resumed: resumed || this.opens === 1, first: this.opens === 1 });
    };
    ws.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch { return; }
      if (typeof ev.id !== 'number') return;
      if (this.lastId !== null && ev.id <= this.lastId) return;
      this.lastId = ev.id;
      this.onEvent(ev);
    };
    ws.onclose = () => {
      if (this.ws === ws) this.ws = null;
      this.retry();
    };
  }

  retry() {
    if (this.stopped) return;
    const base = Math.min(this.maxDelay, this.minDelay * 2 ** this.attempt);
    const delay = Math.round(base / 2 + Math.random() * base / 2);
    this.attempt++;
    this.onState('reconnecting', { attempt: this.attempt, delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
