// Tests for static/scorm-player.js in a vm context with a fake page: the init
// handshake, commit POSTs with the CSRF header, TOC updates, autosave batching,
// and the pagehide beacon. Run with `node --test tests/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const PLAYER_JS = readFileSync(new URL('../../static/scorm-player.js', import.meta.url), 'utf8');
const CONTENT = 'https://content.test';
const LAUNCH = {
  version: '2004',
  state: { values: { 'cmi.learner_id': 'u1' } },
  sco: { id: 'item-1', url: CONTENT + '/p/1/index.html' },
  limits: { suspend_data_max: 64000 },
};

function makePage(reply = { rejected: [], toc: [{ sco: 'item-1', completion: 'completed', success: 'passed', label: 'Done' }] }) {
  const listeners = {};
  const toBridge = [];
  const fetches = [];
  const beacons = [];
  const timers = [];
  const events = [];
  const contentWindow = { postMessage: (msg, origin) => toBridge.push({ msg, origin }) };
  const attrs = { 'data-commit-url': '/attempts/9/commit', 'data-csrf': 'tok en', 'data-content-origin': CONTENT };
  const tocLabel = { textContent: '' };
  const tocItem = {
    attrs: { 'data-toc-sco': 'item-1' },
    getAttribute(n) { return this.attrs[n] ?? null; },
    setAttribute(n, v) { this.attrs[n] = v; },
    querySelector: () => tocLabel,
  };
  const root = {
    getAttribute: (n) => attrs[n] ?? null,
    querySelector: (sel) => ({
      'iframe.scorm-frame': { contentWindow },
      'script.scorm-launch': { textContent: JSON.stringify(LAUNCH) },
      '.scorm-message': { textContent: '', hidden: true },
    })[sel],
    dispatchEvent: (ev) => events.push(ev),
  };
  const ctx = {
    document: {
      getElementById: (id) => (id === 'scorm-player' ? root : null),
      querySelectorAll: () => [tocItem],
      addEventListener: (t, f) => (listeners['doc:' + t] ||= []).push(f),
      visibilityState: 'visible',
    },
    navigator: { sendBeacon: (url, blob) => { beacons.push({ url, blob }); return true; } },
    fetch: (url, init) => {
      fetches.push({ url, init });
      return Promise.resolve({ status: 200, ok: true, json: async () => reply });
    },
    setTimeout: (f, ms) => timers.push({ f, ms }),
    clearTimeout: (id) => { if (id) timers[id - 1].f = null; },
    Blob, CustomEvent, console,
  };
  ctx.window = { addEventListener: (t, f) => (listeners[t] ||= []).push(f) };
  vm.createContext(ctx);
  vm.runInContext(PLAYER_JS, ctx, { filename: 'scorm-player.js' });
  const fromBridge = (data, origin = CONTENT, source = contentWindow) =>
    (listeners.message || []).forEach((f) => f({ origin, source, data }));
  const fire = (type) => (listeners[type] || []).forEach((f) => f({}));
  const settle = () => new Promise((r) => setImmediate(r));
  return { toBridge, fetches, beacons, timers, events, tocItem, tocLabel, fromBridge, fire, settle };
}

test('answers ready with the launch data, only for the content frame', () => {
  const p = makePage();
  p.fromBridge({ type: 'cw-scorm-ready' }, 'https://evil.test');
  p.fromBridge({ type: 'cw-scorm-ready' }, CONTENT, {});
  assert.equal(p.toBridge.length, 0);
  p.fromBridge({ type: 'cw-scorm-ready' });
  assert.equal(p.toBridge.length, 1);
  assert.equal(p.toBridge[0].origin, CONTENT);
  assert.deepEqual(JSON.parse(JSON.stringify(p.toBridge[0].msg)), { type: 'cw-scorm-init', ...LAUNCH });
});

test('a commit is POSTed with the CSRF header; the reply updates the TOC and is acked', async () => {
  const p = makePage();
  p.fromBridge({ type: 'cw-scorm-commit', final: false, reason: 'commit', seq: 4, values: [['cmi.location', 'p1']] });
  assert.equal(p.fetches.length, 1);
  const { url, init } = p.fetches[0];
  assert.equal(url, '/attempts/9/commit');
  assert.equal(init.method, 'POST');
  assert.equal(init.headers['X-CSRF-Token'], 'tok en');
  assert.equal(init.headers['Content-Type'], 'application/json');
  assert.deepEqual(JSON.parse(init.body), { sco: 'item-1', seq: 1, final: false, values: [['cmi.location', 'p1']] });
  await p.settle();
  assert.equal(p.tocItem.attrs['data-completion'], 'completed');
  assert.equal(p.tocItem.attrs['data-success'], 'passed');
  assert.equal(p.tocLabel.textContent, 'Done');
  assert.deepEqual(JSON.parse(JSON.stringify(p.toBridge.at(-1).msg)), { type: 'cw-scorm-ack', seq: 4, rejected: [] });
});

test('autosaves wait; Terminate sends everything at once and announces the end', async () => {
  const p = makePage();
  p.fromBridge({ type: 'cw-scorm-commit', final: false, reason: 'autosave', seq: 1, values: [['cmi.suspend_data', 'a'], ['cmi.location', 'p1']] });
  assert.equal(p.fetches.length, 0);
  assert.equal(p.timers.at(-1).ms, 15000);
  p.fromBridge({ type: 'cw-scorm-commit', final: true, reason: 'terminate', seq: 2, values: [['cmi.suspend_data', 'b'], ['adl.nav.request', 'continue']] });
  assert.equal(p.fetches.length, 1);
  assert.deepEqual(JSON.parse(p.fetches[0].init.body).values, [['cmi.suspend_data', 'b'], ['cmi.location', 'p1'], ['adl.nav.request', 'continue']]);
  assert.equal(JSON.parse(p.fetches[0].init.body).final, true);
  await p.settle();
  assert.equal(p.events.length, 1);
  assert.equal(p.events[0].type, 'cw-scorm:finished');
  assert.deepEqual({ ...p.events[0].detail }, { sco: 'item-1', navRequest: 'continue' });
});

test('pagehide sends what is unsent as a text/plain beacon with the token in the URL', async () => {
  const p = makePage();
  p.fromBridge({ type: 'cw-scorm-commit', final: false, reason: 'autosave', seq: 1, values: [['cmi.suspend_data', 'xyz']] });
  p.fire('pagehide');
  assert.equal(p.beacons.length, 1);
  assert.equal(p.beacons[0].url, '/attempts/9/commit?csrf_token=tok%20en');
  assert.equal(p.beacons[0].blob.type, 'text/plain');
  const sent = JSON.parse(await p.beacons[0].blob.text());
  assert.deepEqual(sent, { sco: 'item-1', seq: 1, final: false, values: [['cmi.suspend_data', 'xyz']] });
  p.fire('pagehide');
  assert.equal(p.beacons.length, 1, 'nothing left to send');
});
