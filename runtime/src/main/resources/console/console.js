// Caravan's console: reads /console/api every two seconds and draws the workflows and the dead
// letters. Every value from a workflow or a message is set as text, never as markup.
'use strict';

const API = '/console/api';
const SVG = 'http://www.w3.org/2000/svg';
const REFRESH_MS = 2000;
let browsing = null; // the dead-letter destination shown in the browser

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick') e.addEventListener('click', v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = String(text);
  return e;
}

async function call(method, path, body) {
  const init = { method, headers: { 'Accept': 'application/json' } };
  if (method !== 'GET') {
    init.headers['X-Caravan-Console'] = '1';
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body || {});
  }
  const r = await fetch(API + path, init);
  const data = await r.json();
  if (!r.ok && r.status !== 207) throw new Error(data.error || r.statusText);
  return data;
}

function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text;
  t.style.display = 'block';
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.style.display = 'none'; }, 5000);
}

// ---- the graph: nodes in columns by their longest path from the trigger, edges as arrows

function layers(wf) {
  const incoming = new Map(wf.nodes.map(n => [n.id, []]));
  wf.edges.forEach(e => incoming.get(e.to) && incoming.get(e.to).push(e.from));
  const depth = new Map();
  const visit = (id, seen) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const from = incoming.get(id) || [];
    const d = from.length === 0 ? (id === wf.nodes[0].id ? 0 : -1) : 1 + Math.max(...from.map(f => visit(f, seen)));
    depth.set(id, d);
    return d;
  };
  wf.nodes.forEach(n => visit(n.id, new Set()));
  // nodes no edge reaches (a fallback, a compensation) stand in a column of their own at the end
  const max = Math.max(0, ...depth.values());
  wf.nodes.forEach(n => { if (depth.get(n.id) < 0) depth.set(n.id, max + 1); });
  return depth;
}

function graph(wf) {
  const W = 168, H = 62, GX = 56, GY = 18;
  const depth = layers(wf);
  const rows = new Map();
  const pos = new Map();
  wf.nodes.forEach(n => {
    const col = depth.get(n.id);
    const row = rows.get(col) || 0;
    rows.set(col, row + 1);
    pos.set(n.id, { x: 10 + col * (W + GX), y: 10 + row * (H + GY) });
  });
  const width = 20 + (Math.max(...depth.values()) + 1) * (W + GX);
  const height = 20 + Math.max(...rows.values()) * (H + GY);
  const s = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, id: 'graph-' + wf.id });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'arrow-' + wf.id, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#8792a6' }));
  defs.append(marker);
  s.append(defs);
  wf.edges.forEach(e => {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) return;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
    s.append(svg('line', { x1, y1, x2, y2, 'marker-end': `url(#arrow-${wf.id})` }));
    const label = e.label || (e.when === undefined ? '' : String(e.when));
    if (label) s.append(svg('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, class: 'edge', 'text-anchor': 'middle' }, label));
  });
  wf.nodes.forEach((n, i) => {
    const p = pos.get(n.id);
    const g = svg('g', { class: 'node' + (i === 0 ? ' trigger' : '') + (n.failed > 0 ? ' failing' : ''), id: `node-${wf.id}-${n.id}`,
      'data-received': n.received, 'data-sent': n.sent, 'data-failed': n.failed, 'data-dead-lettered': n.dead_lettered });
    g.append(svg('rect', { x: p.x, y: p.y, width: W, height: H, rx: 6 }));
    g.append(svg('text', { x: p.x + 8, y: p.y + 16, class: 'title' }, n.id));
    g.append(svg('text', { x: p.x + 8, y: p.y + 31 }, n.type));
    const counts = [];
    if (n.received) counts.push(`in ${n.received}`);
    if (n.sent) counts.push(`sent ${n.sent}`);
    if (n.failed) counts.push(`failed ${n.failed}`);
    if (n.retried) counts.push(`retried ${n.retried}`);
    if (n.dead_lettered) counts.push(`dlq ${n.dead_lettered}`);
    g.append(svg('text', { x: p.x + 8, y: p.y + 48, class: 'counts' }, counts.join(' · ') || '–'));
    const tip = svg('title', {}, `${n.id} (${n.type}): received ${n.received}, sent ${n.sent}, failed ${n.failed}, `
      + `retried ${n.retried}, dead-lettered ${n.dead_lettered}`);
    g.append(tip);
    s.append(g);
  });
  return s;
}

// ---- workflows

async function operate(id, op) {
  try {
    const r = await call('POST', `/workflows/${encodeURIComponent(id)}/${op}`);
    toast(`${id}: ${op}: ${r.result}`);
  } catch (e) {
    toast(`${id}: ${op} failed: ${e.message}`);
  }
  refresh();
}

function workflowCard(wf) {
  const card = el('div', { class: 'card', id: 'wf-' + wf.id });
  card.append(el('h3', {}, wf.id, el('span', { class: 'state ' + wf.state, id: 'state-' + wf.id }, wf.state)));
  card.append(el('div', { class: 'meta' },
    `${wf.name} · ${wf.source_file} · version ${wf.version} · runs ${wf.runs_started}, failed ${wf.runs_failed}, in flight ${wf.in_flight}`));
  const ops = el('div');
  for (const op of ['start', 'stop', 'suspend', 'resume', 'reload']) {
    ops.append(el('button', { id: `${op}-${wf.id}`, onclick: () => operate(wf.id, op) }, op));
  }
  card.append(ops);
  card.append(graph(wf));
  if (wf.last_errors.length) {
    const t = el('table', { class: 'errors' }, el('tr', {}, el('th', {}, 'time'), el('th', {}, 'code'), el('th', {}, 'node'), el('th', {}, 'message')));
    wf.last_errors.forEach(e => t.append(el('tr', {}, el('td', {}, e.time), el('td', { class: 'error' }, e.code || ''),
      el('td', {}, e.node || ''), el('td', {}, e.message || ''))));
    card.append(el('div', { class: 'meta' }, 'last errors'), t);
  }
  return card;
}

// ---- dead letters

function key(d) {
  return `queue_type=${encodeURIComponent(d.queue_type)}&destination=${encodeURIComponent(d.destination)}`
    + `&credential_id=${encodeURIComponent(d.credential_id)}`;
}

function deadLetterRows(list) {
  const body = document.querySelector('#dead-letters tbody');
  body.replaceChildren();
  list.forEach((d, i) => {
    body.append(el('tr', { id: 'dlq-' + i, 'data-destination': d.destination },
      el('td', {}, d.queue_type), el('td', {}, d.destination), el('td', {}, d.credential_id), el('td', {}, d.workflows.join(', ')),
      el('td', { class: 'count' }, d.count === null ? (d.error || 'unknown') : d.count),
      el('td', {}, el('button', { id: 'browse-' + i, onclick: () => browse(d) }, 'browse'))));
  });
}

async function browse(d) {
  browsing = d;
  const box = document.getElementById('browser');
  box.hidden = false;
  document.getElementById('browser-title').textContent = `${d.queue_type} ${d.destination} (${d.credential_id})`;
  let page;
  try {
    page = await call('GET', '/dead-letters/messages?' + key(d) + '&max=50');
  } catch (e) {
    document.getElementById('browser-result').textContent = e.message;
    return;
  }
  document.getElementById('browser-title').textContent = `${d.queue_type} ${d.destination} (${d.credential_id}): ${page.count} waiting`;
  const select = document.getElementById('target');
  select.replaceChildren(...page.targets.map((t, i) => el('option', { value: i }, `${t.queue_type} ${t.address} (${t.workflow})`)));
  select.targets = page.targets;
  const body = document.querySelector('#messages tbody');
  body.replaceChildren();
  page.messages.forEach(m => {
    const caravan = Object.entries(m.caravan).map(([k, v]) => `${k}: ${v}`).join('\n');
    const attributes = Object.entries(m.attributes).map(([k, v]) => `${k}: ${v}`).join('\n') + (m.key ? `\n(key: ${m.key})` : '');
    body.append(el('tr', { class: 'message', 'data-id': m.id },
      el('td', {}, el('input', { type: 'checkbox', class: 'pick', value: m.id, autocomplete: 'off' })), el('td', {}, m.id),
      el('td', {}, el('pre', {}, m.body)), el('td', {}, el('pre', {}, caravan)), el('td', {}, el('pre', {}, attributes))));
  });
}

async function redrive(all) {
  if (!browsing) return;
  const ids = [...document.querySelectorAll('#messages .pick:checked')].map(c => c.value);
  if (!all && ids.length === 0) { toast('select messages first'); return; }
  const select = document.getElementById('target');
  const target = select.targets && select.targets[select.value];
  const request = { queue_type: browsing.queue_type, destination: browsing.destination, credential_id: browsing.credential_id };
  if (all) request.all = true; else request.ids = ids;
  if (target) request.target = target;
  const result = document.getElementById('browser-result');
  try {
    const r = await call('POST', '/dead-letters/redrive', request);
    result.className = r.stopped ? 'error' : 'note';
    result.textContent = `moved ${r.moved} to ${r.target.queue_type} ${r.target.address}` + (r.stopped ? `; ${r.stopped}` : '');
  } catch (e) {
    result.className = 'error';
    result.textContent = e.message;
  }
  await browse(browsing);
  refresh();
}

async function refresh() {
  try {
    const [workflows, dead] = await Promise.all([call('GET', '/workflows'), call('GET', '/dead-letters')]);
    document.getElementById('workflows').replaceChildren(...workflows.map(workflowCard));
    deadLetterRows(dead);
    document.getElementById('status').textContent = `${workflows.length} workflows · updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    document.getElementById('status').textContent = 'cannot reach the API: ' + e.message;
  }
}

document.getElementById('redrive-selected').addEventListener('click', () => redrive(false));
document.getElementById('redrive-all').addEventListener('click', () => redrive(true));
document.getElementById('browser-refresh').addEventListener('click', () => browsing && browse(browsing));
refresh();
setInterval(refresh, REFRESH_MS);
