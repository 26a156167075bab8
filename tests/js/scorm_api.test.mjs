// Tests for the in-browser SCORM runtime (static/scorm-cmi.js + static/scorm-bridge.js),
// run in a vm context with a fake window: API call sequences and error codes for
// SCORM 1.2 and 2004, the postMessage handshake, and the parity cases the Rust
// validator also runs. Run with `node --test tests/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import vm from 'node:vm';

const read = (rel) => readFileSync(new URL(rel, import.meta.url), 'utf8');
const CMI_JS = read('../../static/scorm-cmi.js');
const BRIDGE_JS = read('../../static/scorm-bridge.js');
// The shared cases live beside the Rust tests; the module sits at
// src/scorm/cmi in the server and at src/cmi in the scratch crate.
const caseFile = (name) => [`../../src/scorm/cmi/tests/${name}`]
  .map((rel) => new URL(rel, import.meta.url))
  .find((url) => existsSync(url));
const PARITY = caseFile('parity.json');
// Every SCORM 2004 4th edition element with the RTE's error codes (same format).
const RTE2004 = caseFile('rte2004.json');

const PLAYER = 'https://app.test';
const CONTENT = 'https://content.test';

// A window on the content origin, with the two scripts loaded into it.
function makeWindow({ script = false } = {}) {
  const listeners = {};
  const posted = [];
  const timers = [];
  const warnings = [];
  const elements = {};
  const parent = { postMessage: (msg, origin) => posted.push({ msg: JSON.parse(JSON.stringify(msg)), origin }) };
  const document = {
    currentScript: script ? { getAttribute: (n) => (n === 'data-player-origin' ? PLAYER : null) } : null,
    visibilityState: 'visible',
    addEventListener: (t, f) => (listeners['doc:' + t] ||= []).push(f),
    getElementById: (id) => elements[id] || null,
    createElement: (tag) => ({ tagName: tag.toUpperCase(), id: '', src: '' }),
    body: { appendChild: (el) => { elements[el.id] = el; } },
  };
  const win = {
    parent,
    document,
    URL,
    console: { warn: (...a) => warnings.push(a), error() {}, log() {} },
    location: { href: CONTENT + '/w/7/wrapper.html', origin: CONTENT },
    addEventListener: (t, f) => (listeners[t] ||= []).push(f),
    setTimeout: (f, ms) => timers.push({ f, ms }),
    clearTimeout: (id) => { if (id) timers[id - 1].f = null; },
  };
  win.window = win;
  vm.createContext(win);
  vm.runInContext(CMI_JS, win, { filename: 'scorm-cmi.js' });
  vm.runInContext(BRIDGE_JS, win, { filename: 'scorm-bridge.js' });
  const fire = (type, ev) => (listeners[type] || []).forEach((f) => f(ev));
  const runTimers = () => timers.forEach((t) => { const f = t.f; t.f = null; if (f) f(); });
  return { win, posted, timers, warnings, elements, fire, runTimers };
}

// An API object plus the commit messages it sends.
function makeApi(version, values = {}, limits) {
  const { win, timers, runTimers } = makeWindow();
  const sent = [];
  const api = win.CwScormBridge.createApi(version, { values }, limits, (m) => sent.push(JSON.parse(JSON.stringify(m))));
  return { api, sent, timers, runTimers };
}

test('SCORM 2004: calls before Initialize, after Terminate, and twice', () => {
  const { api } = makeApi('2004');
  const err = () => api.GetLastError();
  assert.equal(api.version, '1.0');
  assert.equal(api.GetValue('cmi.location'), ''); assert.equal(err(), '122');
  assert.equal(api.SetValue('cmi.location', 'x'), 'false'); assert.equal(err(), '132');
  assert.equal(api.Commit(''), 'false'); assert.equal(err(), '142');
  assert.equal(api.Terminate(''), 'false'); assert.equal(err(), '112');
  assert.equal(api.Initialize('x'), 'false'); assert.equal(err(), '201');
  assert.equal(api.Initialize(''), 'true'); assert.equal(err(), '0');
  assert.equal(api.Initialize(''), 'false'); assert.equal(err(), '103');
  assert.equal(api.Commit('x'), 'false'); assert.equal(err(), '201');
  assert.equal(api.Terminate(''), 'true'); assert.equal(err(), '0');
  assert.equal(api.GetValue('cmi.location'), ''); assert.equal(err(), '123');
  assert.equal(api.SetValue('cmi.location', 'x'), 'false'); assert.equal(err(), '133');
  assert.equal(api.Commit(''), 'false'); assert.equal(err(), '143');
  assert.equal(api.Terminate(''), 'false'); assert.equal(err(), '113');
  assert.equal(api.Initialize(''), 'false'); assert.equal(err(), '104');
});

test('SCORM 2004: data model answers and error strings', () => {
  const { api } = makeApi('2004', { 'cmi.learner_id': 'urn:u:1', 'cmi.scaled_passing_score': '0.6' });
  api.Initialize('');
  const code = () => Number(api.GetLastError());
  assert.equal(api.GetValue('cmi._version'), '1.0');
  assert.equal(api.GetValue('cmi.learner_id'), 'urn:u:1');
  assert.equal(api.GetValue('cmi.location'), ''); assert.equal(code(), 403);
  assert.equal(api.GetErrorString('403'), 'Data Model Element Value Not Initialized');
  assert.match(api.GetDiagnostic(''), /no value/);
  assert.equal(api.GetValue('cmi.exit'), ''); assert.equal(code(), 405);
  assert.equal(api.SetValue('cmi.learner_id', 'x'), 'false'); assert.equal(code(), 404);
  assert.equal(api.SetValue('cmi.score.scaled', '2'), 'false'); assert.equal(code(), 407);
  assert.equal(api.SetValue('cmi.score.scaled', 'high'), 'false'); assert.equal(code(), 406);
  assert.equal(api.GetValue('cmi.success_status'), 'unknown', 'passing score without a scaled score');
  assert.equal(api.SetValue('cmi.success_status', 'passed'), 'true');
  assert.equal(api.SetValue('cmi.score.scaled', 0.5), 'true', 'numbers are taken as strings');
  assert.equal(api.GetValue('cmi.success_status'), 'failed', 'the passing score overrides the SCO');
  assert.equal(api.SetValue('cmi.objectives.0.score.scaled', '0.5'), 'false'); assert.equal(code(), 408);
  assert.equal(api.SetValue('cmi.objectives.0.id', 'o1'), 'true');
  assert.equal(api.SetValue('cmi.objectives.0.score.scaled', '0.5'), 'true');
  assert.equal(api.GetValue('cmi.objectives._count'), '1');
  assert.equal(api.SetValue('cmi.objectives.2.id', 'o3'), 'false'); assert.equal(code(), 351);
  assert.equal(api.GetValue('cmi.objectives.5.id'), ''); assert.equal(code(), 301);
  assert.equal(api.GetValue('cmi.score._count'), ''); assert.equal(code(), 301);
  assert.equal(api.GetValue('cmi.bogus'), ''); assert.equal(code(), 401);
  assert.equal(api.GetValue(), ''); assert.equal(code(), 301);
  assert.equal(api.GetValue('cmi.score._children'), 'scaled,raw,min,max'); assert.equal(code(), 0);
  assert.equal(api.GetErrorString('999'), '');
  assert.equal(api.GetDiagnostic('406'), 'Data Model Element Type Mismatch');
});

test('SCORM 2004: Commit and Terminate send the changed values in order', () => {
  const { api, sent } = makeApi('2004');
  api.Initialize('');
  api.SetValue('cmi.objectives.0.id', 'o1');
  api.SetValue('cmi.location', 'p1');
  api.SetValue('cmi.objectives.0.score.scaled', '0.5');
  api.SetValue('cmi.location', 'p2');
  assert.equal(api.SetValue('cmi.session_time', 'PT50S.21S'), 'false');
  assert.equal(api.Commit(''), 'true');
  assert.deepEqual(sent, [{
    type: 'cw-scorm-commit', final: false, reason: 'commit', seq: 1,
    values: [['cmi.objectives.0.id', 'o1'], ['cmi.location', 'p2'], ['cmi.objectives.0.score.scaled', '0.5']],
  }]);
  api.Commit('');
  assert.equal(sent.length, 1, 'nothing new, nothing sent');
  api.SetValue('cmi.session_time', 'PT1H30M');
  api.SetValue('cmi.exit', 'suspend');
  api.Terminate('');
  assert.deepEqual(sent[1], {
    type: 'cw-scorm-commit', final: true, reason: 'terminate', seq: 2,
    values: [['cmi.session_time', 'PT1H30M'], ['cmi.exit', 'suspend']],
  });
});

test('autosave hands values over without a Commit', () => {
  const { api, sent, timers, runTimers } = makeApi('2004');
  api.Initialize('');
  api.SetValue('cmi.suspend_data', 'abc');
  api.SetValue('cmi.location', 'p3');
  assert.equal(timers.length, 1, 'one timer for a burst of SetValue');
  assert.equal(timers[0].ms, 3000);
  runTimers();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].reason, 'autosave');
  assert.equal(sent[0].final, false);
  assert.deepEqual(sent[0].values, [['cmi.suspend_data', 'abc'], ['cmi.location', 'p3']]);
});

test('SCORM 1.2: lifecycle error codes', () => {
  const { api } = makeApi('1.2', { 'cmi.core.student_name': 'Doe, Jane', 'cmi.core.lesson_status': 'not attempted' });
  const err = () => api.LMSGetLastError();
  assert.equal(api.Initialize, undefined, '1.2 names only');
  assert.equal(api.LMSGetValue('cmi.core.student_name'), ''); assert.equal(err(), '301');
  assert.equal(api.LMSSetValue('cmi.core.lesson_location', 'x'), 'false'); assert.equal(err(), '301');
  assert.equal(api.LMSCommit(''), 'false'); assert.equal(err(), '301');
  assert.equal(api.LMSFinish(''), 'false'); assert.equal(err(), '301');
  assert.equal(api.LMSGetErrorString('301'), 'Not initialized');
  assert.equal(api.LMSInitialize('x'), 'false'); assert.equal(err(), '201');
  assert.equal(api.LMSInitialize(''), 'true'); assert.equal(err(), '0');
  assert.equal(api.LMSInitialize(''), 'false'); assert.equal(err(), '101');
  assert.equal(api.LMSFinish(''), 'true');
  assert.equal(api.LMSGetValue('cmi.core.student_name'), ''); assert.equal(err(), '101');
  assert.equal(api.LMSFinish(''), 'false'); assert.equal(err(), '101');
});

test('SCORM 1.2: data model answers', () => {
  const { api } = makeApi('1.2', { 'cmi.core.student_name': 'Doe, Jane', 'cmi.core.lesson_status': 'not attempted' }, { suspend_data_max: 5000 });
  api.LMSInitialize('');
  const code = () => Number(api.LMSGetLastError());
  assert.equal(api.LMSGetValue('cmi.core.student_name'), 'Doe, Jane');
  assert.equal(api.LMSGetValue('cmi.core.lesson_location'), ''); assert.equal(code(), 0);
  assert.equal(api.LMSGetValue('cmi.core._children').split(',').length, 11);
  assert.equal(api.LMSSetValue('cmi.core.lesson_status', 'not attempted'), 'false'); assert.equal(code(), 405);
  assert.equal(api.LMSGetErrorString('405'), 'Incorrect Data Type');
  assert.equal(api.LMSSetValue('cmi.core.lesson_status', 'incomplete'), 'true');
  assert.equal(api.LMSSetValue('cmi.core.student_name', 'x'), 'false'); assert.equal(code(), 403);
  assert.equal(api.LMSSetValue('cmi.core.exit', 'suspend'), 'true');
  assert.equal(api.LMSGetValue('cmi.core.exit'), ''); assert.equal(code(), 404);
  assert.equal(api.LMSSetValue('cmi.core._children', 'x'), 'false'); assert.equal(code(), 402);
  assert.equal(api.LMSGetValue('cmi.core._count'), ''); assert.equal(code(), 203);
  assert.equal(api.LMSGetValue('cmi.core.exit._children'), ''); assert.equal(code(), 202);
  assert.equal(api.LMSGetValue('cmi.core.nothing'), ''); assert.equal(code(), 401);
  assert.equal(api.LMSSetValue('cmi.suspend_data', 'x'.repeat(4097)), 'true', 'past CMIString4096');
  assert.equal(api.LMSSetValue('cmi.suspend_data', 'x'.repeat(5001)), 'false'); assert.equal(code(), 405);
  assert.equal(api.LMSSetValue('cmi.core.session_time', '0001:02:03.5'), 'true');
  assert.equal(api.LMSSetValue('cmi.core.session_time', 'PT1H'), 'false'); assert.equal(code(), 405);
  assert.equal(api.LMSSetValue('cmi.interactions.1.id', 'q'), 'false'); assert.equal(code(), 201);
  assert.equal(api.LMSSetValue('cmi.interactions.0.result', 'wrong'), 'true', '1.2 has no id-first rule');
  assert.equal(api.LMSGetValue('cmi.interactions._count'), '1');
  assert.equal(api.LMSGetValue('cmi.interactions.0.result'), ''); assert.equal(code(), 404);
});

test('handshake: ready, init from the player only, SCO loaded on the content origin', () => {
  const w = makeWindow({ script: true });
  assert.deepEqual(w.posted, [{ msg: { type: 'cw-scorm-ready' }, origin: PLAYER }]);
  const init = {
    type: 'cw-scorm-init', version: '2004', state: { values: { 'cmi.learner_id': 'u9' } },
    sco: { id: 'item-1', url: '/p/7/index.html?x=1' }, limits: { suspend_data_max: 64000 },
  };
  w.fire('message', { origin: 'https://evil.test', source: w.win.parent, data: init });
  w.fire('message', { origin: PLAYER, source: {}, data: init });
  assert.equal(w.win.API_1484_11, undefined, 'wrong origin or source is ignored');
  w.fire('message', { origin: PLAYER, source: w.win.parent, data: init });
  assert.equal(w.elements['sco-frame'].src, CONTENT + '/p/7/index.html?x=1');
  assert.equal(w.win.API, undefined);
  const api = w.win.API_1484_11;
  assert.equal(api.Initialize(''), 'true');
  assert.equal(api.GetValue('cmi.learner_id'), 'u9');
  w.fire('message', { origin: PLAYER, source: w.win.parent, data: { ...init, version: '1.2' } });
  assert.equal(w.win.API, undefined, 'a second init is ignored');
  api.SetValue('cmi.location', 'p1');
  api.Terminate('');
  const last = w.posted.at(-1);
  assert.equal(last.origin, PLAYER);
  assert.deepEqual(last.msg, { type: 'cw-scorm-commit', final: true, reason: 'terminate', seq: 1, values: [['cmi.location', 'p1']] });
  w.fire('message', { origin: PLAYER, source: w.win.parent, data: { type: 'cw-scorm-ack', seq: 1, rejected: [{ element: 'cmi.location', code: 351 }] } });
  assert.equal(w.warnings.length, 1);
});

test('handshake: 1.2 defines window.API; a foreign SCO URL is refused', () => {
  const w = makeWindow({ script: true });
  const init = { type: 'cw-scorm-init', version: '1.2', state: { values: {} }, sco: { id: 's', url: 'index.html' } };
  w.fire('message', { origin: PLAYER, source: w.win.parent, data: init });
  assert.equal(typeof w.win.API.LMSInitialize, 'function');
  assert.equal(w.win.API_1484_11, undefined);
  assert.equal(w.elements['sco-frame'].src, CONTENT + '/w/7/index.html');

  const v = makeWindow({ script: true });
  v.fire('message', { origin: PLAYER, source: v.win.parent, data: { ...init, sco: { id: 's', url: 'https://elsewhere.test/x.html' } } });
  assert.equal(v.win.API, undefined);
  assert.equal(v.posted.at(-1).msg.type, 'cw-scorm-error');
});

test('pagehide hands over unsent values', () => {
  const w = makeWindow({ script: true });
  w.fire('message', { origin: PLAYER, source: w.win.parent, data: { type: 'cw-scorm-init', version: '2004', state: { values: {} }, sco: { id: 's', url: 'sco.html' } } });
  const api = w.win.API_1484_11;
  api.Initialize('');
  api.SetValue('cmi.suspend_data', 'state');
  w.fire('pagehide', {});
  assert.deepEqual(w.posted.at(-1).msg.values, [['cmi.suspend_data', 'state']]);
  assert.equal(w.posted.at(-1).msg.reason, 'autosave');
});

// Runs a case file as src/scorm/cmi/tests/parity.rs does; returns how many cases ran.
function runCases(url) {
  const doc = JSON.parse(readFileSync(url, 'utf8'));
  let ran = 0;
  for (const group of doc.groups) {
    const fresh = () => {
      const { api } = makeApi(group.version, group.setup);
      const call = (name) => (group.version === '1.2' ? api['LMS' + (name === 'Terminate' ? 'Finish' : name)] : api[name]);
      call('Initialize')('');
      return { call, err: () => Number(call('GetLastError')()) };
    };
    for (const [element, value, code, readback, why] of group.set) {
      const { call, err } = fresh();
      const ok = call('SetValue')(element, value);
      assert.equal(err(), code, `${group.version} SetValue(${element}, ${JSON.stringify(value).slice(0, 40)}) ${why || ''}`);
      assert.equal(ok, code === 0 ? 'true' : 'false');
      if (typeof readback === 'string') {
        assert.equal(call('GetValue')(element), readback, `GetValue(${element}) after SetValue`);
        assert.equal(err(), 0);
      }
      ran++;
    }
    const { call, err } = fresh();
    for (const [element, expected] of group.get) {
      const got = call('GetValue')(element);
      if (typeof expected === 'string') {
        assert.equal(got, expected, `${group.version} GetValue(${element})`);
        assert.equal(err(), 0);
      } else {
        assert.equal(err(), expected, `${group.version} GetValue(${element})`);
        assert.equal(got, '');
      }
      ran++;
    }
  }
  return ran;
}

test('parity cases shared with the Rust validator', () => {
  assert.ok(PARITY, 'parity.json not found');
  assert.ok(runCases(PARITY) > 100);
});

test('every SCORM 2004 element with the RTE error codes, as the Rust engine answers', () => {
  assert.ok(RTE2004, 'rte2004.json not found');
  assert.ok(runCases(RTE2004) > 250);
});
