// The madre operator console (docs/console.md). Plain ES module, no framework, nothing fetched
// but madre's own API: the token lives in sessionStorage and goes in the X-VX11-Token header
// (never in a URL, never a cookie); the live parts follow GET /madre/power/events read with
// fetch streaming.
const ROLES = ['viewer', 'submitter', 'operator', 'admin'];
const TOKEN_KEY = 'madre.token';
const $ = (sel) => document.querySelector(sel);

const state = {
  role: 'viewer',
  windows: new Map(),  // window_id -> window (live and recent)
  history: [],
  auditSeq: 0,
  audit: [],
  services: null,
  stream: null,  // AbortController of the event stream
};

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
function can(role) { return ROLES.indexOf(state.role) >= ROLES.indexOf(role); }

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(method, path, body) {
  const headers = { 'X-VX11-Token': token() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit', cache: 'no-store',
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!response.ok) {
    const error = new Error((data && data.detail) || `${method} ${path}: ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function showError(error) { $('#error').textContent = error ? String(error.message || error) : ''; }

// --- login ----------------------------------------------------------------------------------

async function login(given) {
  sessionStorage.setItem(TOKEN_KEY, given);
  try {
    const me = await api('GET', '/madre/whoami');
    state.role = me.role;
    $('#who').textContent = `${me.name} (${me.role})`;
    $('#login').hidden = true;
    $('#app').hidden = false;
    $('#nav').hidden = false;
    $('#logout').hidden = false;
    document.body.dataset.role = me.role;
    for (const node of document.querySelectorAll('.operator')) node.hidden = !can('operator');
    await Promise.all([loadWindows(), loadServices(), loadAudit()]);
    startStream();
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('#login-error').textContent = error.status === 401 || error.status === 403
      ? 'That token is not accepted.' : String(error.message);
  }
}

function logout() {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.stream) state.stream.abort();
  location.reload();
}

// --- windows --------------------------------------------------------------------------------

async function loadWindows() {
  const status = await api('GET', '/madre/power/windows/status?limit=20');
  state.windows.clear();
  for (const w of status.windows) state.windows.set(w.window_id, w);
  state.history = status.history;
  renderWindows();
}

function secondsLeft(w) {
  if (w.hold) return null;
  if (w.deadline) return Math.max(0, Math.ceil((Date.parse(w.deadline) - Date.now()) / 1000));
  return w.ttl_remaining_sec;
}

function formatSeconds(s) {
  if (s === null || s === undefined) return '—';
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return (h ? `${h}:${String(m).padStart(2, '0')}` : `${m}`) + `:${String(sec).padStart(2, '0')}`;
}

async function act(path, body) {
  showError(null);
  try {
    const w = await api('POST', path, body);
    if (w && w.window_id) upsertWindow(w);
  } catch (error) { showError(error); }
}

function upsertWindow(w) {
  const live = ['opening', 'open', 'closing'].includes(w.state);
  if (live) {
    state.windows.set(w.window_id, w);
  } else {
    state.windows.delete(w.window_id);
    state.history = [w, ...state.history.filter((h) => h.window_id !== w.window_id)].slice(0, 20);
  }
  renderWindows();
}

function renderWindows() {
  const body = $('#windows-table tbody');
  body.replaceChildren();
  const operator = can('operator');
  for (const w of state.windows.values()) {
    const id = w.window_id;
    const services = Object.entries(w.services_status || {}).map(([name, s]) =>
      el('div', {}, `${name}: `, el('span', { class: `state-${s.state}` }, s.state),
        s.health ? ` (${s.health})` : ''));
    body.append(el('tr', { 'data-window': id, 'data-state': w.state, class: 'window-row' },
      el('td', { title: id }, id.slice(0, 8), el('div', { class: 'muted' }, w.reason)),
      el('td', { class: `state-${w.state} window-state` }, w.state, w.hold ? ' (hold)' : ''),
      el('td', {}, services.length ? services : w.services.join(', ')),
      el('td', { class: 'countdown', 'data-deadline': w.hold ? '' : (w.deadline || '') },
        formatSeconds(secondsLeft(w))),
      el('td', {},
        el('button', { type: 'button', class: 'secondary extend', disabled: !operator,
          onclick: () => act('/madre/power/windows/extend', { window_id: id, ttl_sec: 300 }) }, '+5 min'),
        ' ',
        el('button', { type: 'button', class: 'secondary hold', disabled: !operator,
          onclick: () => act('/madre/power/windows/hold', { window_id: id, hold: !w.hold }) },
          w.hold ? 'Release' : 'Hold'),
        ' ',
        el('button', { type: 'button', class: 'close', disabled: !operator,
          onclick: () => act('/madre/power/windows/close', { window_id: id }) }, 'Close'))));
  }
  if (!state.windows.size) body.append(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No live window.')));
  const history = $('#history-table tbody');
  history.replaceChildren();
  for (const w of state.history) {
    history.append(el('tr', { 'data-window': w.window_id },
      el('td', { title: w.window_id }, w.window_id.slice(0, 8)),
      el('td', { class: `state-${w.state}` }, w.state),
      el('td', {}, w.services.join(', ')),
      el('td', {}, w.closed_at ? new Date(w.closed_at).toLocaleString() : ''),
      el('td', {}, w.close_reason || w.error || '')));
  }
}

// The countdown, computed here from each window's deadline, once a second.
function tick() {
  for (const cell of document.querySelectorAll('#windows-table .countdown')) {
    const deadline = cell.dataset.deadline;
    if (!deadline) continue;
    cell.textContent = formatSeconds(Math.max(0, Math.ceil((Date.parse(deadline) - Date.now()) / 1000)));
  }
}

async function openWindow(event) {
  event.preventDefault();
  showError(null);
  const services = [...document.querySelectorAll('#open-services input:checked')].map((i) => i.value);
  const hold = $('#open-hold').checked;
  const body = { services, reason: $('#open-reason').value || 'console', hold };
  if (!hold) body.ttl_sec = Number($('#open-ttl').value);
  try {
    const w = await api('POST', '/madre/power/windows/open', body);
    upsertWindow(w);
  } catch (error) { showError(error); }
}

// --- services -------------------------------------------------------------------------------

async function loadServices() {
  const [services, status] = await Promise.all([
    api('GET', '/madre/power/services'), api('GET', '/madre/power/status?stats=1')]);
  state.services = services;
  const boxes = $('#open-services');
  if (!boxes.querySelector('input')) {
    for (const name of services.allowlist) {
      boxes.append(el('label', {}, el('input', { type: 'checkbox', value: name, name: 'service' }), ` ${name}`));
    }
  }
  const body = $('#services-table tbody');
  body.replaceChildren();
  for (const s of status.services) {
    const cpu = s.cpu_percent === undefined || s.cpu_percent === null ? '' : `${s.cpu_percent.toFixed(1)}%`;
    const mem = s.memory_bytes ? `${(s.memory_bytes / 1048576).toFixed(1)} MiB` : '';
    body.append(el('tr', { 'data-service': s.service },
      el('td', {}, s.service, s.always_on ? el('span', { class: 'muted' }, ' always-on') : ''),
      el('td', { class: `state-${s.failed ? 'failed' : s.state}` }, s.state),
      el('td', {}, s.health || ''),
      el('td', {}, s.restart_count ?? ''),
      el('td', {}, cpu), el('td', {}, mem),
      el('td', {}, (s.window_ids || []).map((id) => id.slice(0, 8)).join(', ')),
      el('td', {}, s.failed ? el('span', { class: 'error' }, s.error || 'failed') : '',
        can('operator') && s.state !== 'absent'
          ? el('button', { type: 'button', class: 'secondary', onclick: () => diagnose(s.service) }, 'Diagnose')
          : '')));
  }
  drawGraph(services, status.services);
  if (can('operator')) loadDiagnoses().catch(() => {});
}

// The dependency graph as inline SVG: a column per depth (dependencies to the left).
function drawGraph(services, statuses) {
  const deps = services.depends_on || {};
  const names = services.services;
  const depth = {};
  const depthOf = (name, seen = new Set()) => {
    if (depth[name] !== undefined) return depth[name];
    if (seen.has(name)) return 0;
    seen.add(name);
    const d = Math.max(-1, ...(deps[name] || []).filter((n) => names.includes(n)).map((n) => depthOf(n, seen))) + 1;
    depth[name] = d;
    return d;
  };
  names.forEach((n) => depthOf(n));
  const columns = [];
  for (const n of names) (columns[depth[n]] ||= []).push(n);
  const W = 150, H = 44, GX = 70, GY = 18, pos = {};
  columns.forEach((col, x) => col.forEach((n, y) => { pos[n] = { x: 10 + x * (W + GX), y: 10 + y * (H + GY) }; }));
  const width = 20 + columns.length * (W + GX) - GX;
  const height = 20 + Math.max(1, ...columns.map((c) => c.length)) * (H + GY) - GY;
  const running = new Set(statuses.filter((s) => s.state === 'running').map((s) => s.service));
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  const make = (tag, attrs) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'service dependency graph');
  const defs = make('defs', {});
  const marker = make('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' });
  marker.append(make('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#8a93a6' }));
  defs.append(marker);
  svg.append(defs);
  for (const n of names) {
    for (const d of deps[n] || []) {
      if (!pos[d]) continue;
      const a = pos[n], b = pos[d];
      svg.append(make('path', { class: 'edge', d: `M ${a.x} ${a.y + H / 2} C ${a.x - GX / 2} ${a.y + H / 2}, ${b.x + W + GX / 2} ${b.y + H / 2}, ${b.x + W} ${b.y + H / 2}` }));
    }
  }
  for (const n of names) {
    const g = make('g', { class: `node${running.has(n) ? ' running' : ''}`, 'data-service': n });
    g.append(make('rect', { x: pos[n].x, y: pos[n].y, width: W, height: H, rx: 6 }));
    const text = make('text', { x: pos[n].x + 10, y: pos[n].y + 27 });
    text.textContent = `${n}${running.has(n) ? ' ●' : ''}`;
    g.append(text);
    svg.append(g);
  }
  $('#graph').replaceChildren(svg);
}

async function diagnose(service) {
  showError(null);
  try {
    const d = await api('GET', `/madre/autofix/diagnose/${encodeURIComponent(service)}`);
    $('#diagnoses').prepend(renderDiagnosis(d));
  } catch (error) { showError(error); }
}

function renderDiagnosis(d) {
  return el('div', { class: 'diagnosis' },
    el('strong', {}, d.service), ` ${d.failure}: ${d.cause} (confidence ${d.confidence})`,
    d.incident ? el('span', { class: 'muted' }, ` incident ${d.incident}`) : '',
    el('pre', {}, (d.evidence || []).join('\n')),
    el('ul', {}, (d.remediations || []).map((r) => el('li', {}, `[${r.risk}] ${r.text}`))));
}

async function loadDiagnoses() {
  const answer = await api('GET', '/madre/autofix/diagnoses?limit=10');
  $('#diagnoses').replaceChildren(...answer.diagnoses.map(renderDiagnosis));
  if (!answer.diagnoses.length) $('#diagnoses').append(el('p', { class: 'muted' }, 'No incident recorded.'));
}

// --- audit ----------------------------------------------------------------------------------

async function loadAudit() {
  const answer = await api('GET', `/madre/power/audit?limit=200${state.auditSeq ? `&after=${state.auditSeq}` : ''}`);
  const records = answer.records;  // newest first
  if (records.length) {
    state.auditSeq = Math.max(state.auditSeq, ...records.map((r) => r.seq));
    state.audit = [...records, ...state.audit].slice(0, 500);
    renderAudit();
  }
}

function renderAudit() {
  const action = $('#filter-action').value.trim(), actor = $('#filter-actor').value.trim();
  const outcome = $('#filter-outcome').value;
  const body = $('#audit-table tbody');
  body.replaceChildren();
  for (const r of state.audit) {
    if (action && !r.action.includes(action)) continue;
    if (actor && !r.actor.includes(actor)) continue;
    if (outcome && r.outcome !== outcome) continue;
    body.append(el('tr', { class: 'audit-row', 'data-action': r.action },
      el('td', {}, r.seq), el('td', {}, new Date(r.time).toLocaleTimeString()),
      el('td', {}, r.actor), el('td', {}, r.action),
      el('td', {}, r.window_id ? r.window_id.slice(0, 8) : ''), el('td', {}, (r.services || []).join(', ')),
      el('td', { class: `outcome-${r.outcome}` }, r.outcome), el('td', {}, r.detail || r.reason || '')));
  }
}

// --- intents and builds ---------------------------------------------------------------------

async function loadIntents() {
  const body = $('#intents-table tbody');
  let answer;
  try { answer = await api('GET', '/madre/intents?limit=50'); } catch (error) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, String(error.message))));
    return;
  }
  body.replaceChildren();
  for (const i of answer.intents) {
    const decide = (kind) => async () => {
      showError(null);
      try { await api('POST', `/madre/intents/${encodeURIComponent(i.intent_id)}/${kind}`, {}); await loadIntents(); } catch (error) { showError(error); }
    };
    const pending = i.state === 'pending';
    body.append(el('tr', { 'data-intent': i.intent_id },
      el('td', { title: i.intent_id }, i.intent_id.slice(0, 15)), el('td', {}, i.type), el('td', {}, i.source),
      el('td', { class: `state-${i.state}` }, i.state), el('td', {}, i.requested_by), el('td', {}, i.detail || i.reason || ''),
      el('td', {}, pending && can('submitter') ? [
        el('button', { type: 'button', onclick: decide('approve') }, 'Approve'), ' ',
        el('button', { type: 'button', class: 'secondary', onclick: decide('reject') }, 'Reject')] : '')));
  }
  if (!answer.intents.length) body.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No intent.')));
}

async function loadBuilds() {
  const body = $('#builds-table tbody');
  let answer;
  try { answer = await api('GET', '/madre/builds?limit=50'); } catch (error) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, String(error.message))));
    return;
  }
  body.replaceChildren();
  for (const b of answer.builds) {
    body.append(el('tr', {},
      el('td', {}, b.id), el('td', {}, b.service), el('td', { class: `outcome-${b.outcome === 'succeeded' ? 'ok' : b.outcome === 'failed' ? 'fail' : ''}` }, b.outcome),
      el('td', {}, new Date(b.started_at).toLocaleString()), el('td', {}, `${(b.duration_ms / 1000).toFixed(1)} s`),
      el('td', {}, b.error || ''),
      el('td', {}, el('button', { type: 'button', class: 'secondary', onclick: async () => {
        try { const full = await api('GET', `/madre/builds/${b.id}`); $('#build-log').textContent = full.log_tail || '(no log)'; } catch (error) { showError(error); }
      } }, 'Log'))));
  }
  if (!answer.builds.length) body.append(el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No build.')));
}

// --- the event stream -----------------------------------------------------------------------

let auditTimer = null;
function refreshAuditSoon() {
  if (auditTimer) return;
  auditTimer = setTimeout(() => { auditTimer = null; loadAudit().catch(showError); }, 150);
}
let servicesTimer = null;
function refreshServicesSoon() {
  if (servicesTimer) return;
  servicesTimer = setTimeout(() => { servicesTimer = null; loadServices().catch(() => {}); }, 500);
}

function onEvent(type, data) {
  if (type === 'window') upsertWindow(JSON.parse(data));
  if (type === 'container' || type === 'window') refreshServicesSoon();
  if (type === 'intent' && !$('#view-intents').hidden) loadIntents();
  refreshAuditSoon();  // each change is audited: fetch the records after the last one seen
}

async function startStream() {
  const controller = new AbortController();
  state.stream = controller;
  const label = $('#stream-state');
  for (;;) {
    try {
      const response = await fetch('/madre/power/events', {
        headers: { 'X-VX11-Token': token(), Accept: 'text/event-stream' },
        credentials: 'omit', cache: 'no-store', signal: controller.signal,
      });
      if (!response.ok) throw new Error(`events: ${response.status}`);
      label.textContent = '(live)';
      document.body.dataset.stream = 'live';
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let type = 'message', data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) type = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trimStart();
          }
          if (data) { try { onEvent(type, data); } catch (error) { console.error(error); } }
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    label.textContent = '(reconnecting)';
    document.body.dataset.stream = 'down';
    await new Promise((resolve) => setTimeout(resolve, 2000));
    loadAudit().catch(() => {});
  }
}

// --- navigation -----------------------------------------------------------------------------

function show(view) {
  for (const tab of document.querySelectorAll('.tab')) tab.classList.toggle('active', tab.dataset.view === view);
  for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `view-${view}`;
  if (view === 'intents') loadIntents();
  if (view === 'builds') loadBuilds();
  if (view === 'services') loadServices().catch(showError);
}

document.addEventListener('DOMContentLoaded', () => {
  $('#login-form').addEventListener('submit', (event) => { event.preventDefault(); login($('#token').value); });
  $('#logout').addEventListener('click', logout);
  $('#open-form').addEventListener('submit', openWindow);
  for (const tab of document.querySelectorAll('.tab')) tab.addEventListener('click', () => show(tab.dataset.view));
  for (const id of ['#filter-action', '#filter-actor', '#filter-outcome']) $(id).addEventListener('input', renderAudit);
  setInterval(tick, 1000);
  if (token()) login(token());
});
