// The SCORM API on the content origin. A wrapper page there loads scorm-cmi.js and
// this script (<script src=".../scorm-bridge.js" data-player-origin="https://app.example">),
// which asks the player page (its parent, on the app origin) for the launch data,
// defines window.API (1.2) or window.API_1484_11 (2004), then loads the SCO in a
// same-origin child frame so the SCO's standard search of window.parent finds it.
// SCORM calls are synchronous, so they are answered from a local copy of the CMI
// state with the server's rules; changed values go to the player by postMessage.
// When the tab closes, the player page may never handle the last messages: what it has
// not acknowledged, and Terminate, also go by navigator.sendBeacon to the keyed commit
// URL (launch "beacon", on this origin); the server ignores a repeated Terminate.
// Plain ES2017, no dependencies.
(function (root) {
  'use strict';
  var C = root.CwScormCmi;
  // A SCO that never commits still gets its data to the player this soon.
  var AUTOSAVE_MS = 3000;
  // [before Initialize, after Terminate] codes; for init, [running, after Terminate].
  var PHASE_CODES = {
    '1.2': { init: [101, 101], term: [301, 101], get: [301, 101], set: [301, 101], commit: [301, 101] },
    '2004': { init: [103, 104], term: [112, 113], get: [122, 123], set: [132, 133], commit: [142, 143] }
  };

  function undef(el) { C.fail('undef', el + ' is not a data model element'); }

  // adl.data is not carried; request_valid targets contain dots, so match them whole.
  function special2004(el, forSet) {
    if (el === 'adl.data' || el.lastIndexOf('adl.data.', 0) === 0) C.fail('unimpl', 'adl.data is not supported');
    var m = /^adl\.nav\.request_valid\.(choice|jump)\.(.*)$/.exec(el);
    if (!m) return false;
    if (!/^\{target=[^}]+\}$/.test(m[2])) C.fail('undef', el + ' needs a {target=ID}');
    if (forSet) C.fail('readOnly', el + ' is read-only');
    return true;
  }

  function num(values, k) { return C.has(values, k) ? C.parseReal(values[k]) : null; }
  // 2004 RTE 4.2.4.1 and 4.2.22.1: threshold and passing score override the SCO.
  function completion2004(values) {
    var t = num(values, 'cmi.completion_threshold'), p = num(values, 'cmi.progress_measure');
    if (t !== null && p !== null) return p >= t ? 'completed' : 'incomplete';
    return C.has(values, 'cmi.completion_status') ? values['cmi.completion_status'] : 'unknown';
  }
  function success2004(values) {
    var pass = num(values, 'cmi.scaled_passing_score'), s = num(values, 'cmi.score.scaled');
    if (pass !== null) return s === null ? 'unknown' : s >= pass ? 'passed' : 'failed';
    return C.has(values, 'cmi.success_status') ? values['cmi.success_status'] : 'unknown';
  }

  function getValue(v, store, el) {
    if (el === '') C.fail('emptyGet', 'GetValue needs an element name');
    if (v === '2004' && special2004(el, false)) return 'unknown';
    var m = C.MODELS[v], path = C.parsePath(el);
    if (!path) undef(el);
    var p = C.pattern(path);
    if (path.kw === '_children') {
      if (C.has(m.children, p)) { C.checkIndices(store, path, false); return m.children[p]; }
      if (C.isKnown(m, p)) C.fail('noChildren', p + ' has no children');
      undef(el);
    } else if (path.kw === '_count') {
      if (C.isCollection(m, p)) { C.checkIndices(store, path, false); return String(C.count(store, C.key(path.segs))); }
      if (C.isKnown(m, p)) C.fail('noCount', p + ' is not a collection');
      undef(el);
    } else if (path.kw === '_version') {
      if (v === '2004' && p === 'cmi') return '1.0';
      if (v === '2004' && C.isKnown(m, p)) C.fail('noVersion', p + ' has no _version');
      undef(el);
    }
    if (!C.has(m.specs, p)) undef(el);
    var spec = m.specs[p], k = C.key(path.segs);
    if (spec.a === 'wo') C.fail('writeOnly', el + ' is write-only');
    C.checkIndices(store, path, false);
    if (v === '2004' && p === 'cmi.completion_status') return completion2004(store.values);
    if (v === '2004' && p === 'cmi.success_status') return success2004(store.values);
    if (C.has(store.values, k)) return store.values[k];
    if (spec.d !== undefined) return spec.d;
    if (v === '1.2') return '';
    C.fail('notInit', el + ' has no value yet');
  }

  // Returns the canonical key stored.
  function setValue(v, store, el, value, limits) {
    if (el === '') C.fail('emptySet', 'SetValue needs an element name');
    if (v === '2004') special2004(el, true);
    var m = C.MODELS[v], path = C.parsePath(el);
    if (!path) undef(el);
    var p = C.pattern(path);
    if (path.kw) {
      if (C.isKnown(m, p) || (v === '2004' && p === 'cmi')) C.fail('keyword', el + ' is a keyword');
      undef(el);
    }
    if (!C.has(m.specs, p)) undef(el);
    var spec = m.specs[p];
    C.checkIndices(store, path, true);
    if (spec.a === 'ro') C.fail('readOnly', el + ' is read-only');
    if (v === '2004') dependencies(store, path, p);
    C.checkValue(spec.t, value, store, path, limits);
    if (v === '2004') unique(store, path, p, value);
    var k = C.key(path.segs);
    if (!C.has(store.values, k)) store.counts = {};
    store.values[k] = value;
    return k;
  }

  // 2004 RTE 4.2.9, 4.2.17: records start with their id; responses need the type.
  function dependencies(store, path, p) {
    var rec = C.record(path, 0), vals = store.values;
    var needsId = ['cmi.objectives.n', 'cmi.interactions.n'].some(function (pre) {
      return p.lastIndexOf(pre + '.', 0) === 0 && p !== pre + '.id';
    });
    if (needsId && !C.has(vals, rec + '.id')) C.fail('dependency', rec + '.id must be set first');
    if (p === 'cmi.interactions.n.learner_response' || p === 'cmi.interactions.n.correct_responses.n.pattern') {
      if (!C.has(vals, rec + '.type')) C.fail('dependency', rec + '.type must be set first');
      var kind = vals[rec + '.type'], max = C.maxPatterns(kind);
      if (max !== null && /pattern$/.test(p) && C.index(path, 1) >= max) {
        C.fail('setFailure', 'a ' + kind + ' interaction has at most ' + max + ' correct response');
      }
    }
  }

  // Objective ids are unique and fixed; interaction objective ids and choice or
  // sequencing patterns are unique within their interaction (351).
  function unique(store, path, p, value) {
    var vals = store.values;
    var clash = function (coll, field, own, same) {
      for (var j = 0, n = C.count(store, coll); j < n; j++) {
        var k = coll + '.' + j + '.' + field;
        if (j !== own && C.has(vals, k) && same(vals[k])) return true;
      }
      return false;
    };
    var equal = function (x) { return x === value; };
    if (p === 'cmi.objectives.n.id') {
      var k = C.key(path.segs);
      if (C.has(vals, k)) {
        if (vals[k] !== value) C.fail('setFailure', 'objective id "' + vals[k] + '" cannot be changed');
      } else if (clash('cmi.objectives', 'id', C.index(path, 0), equal)) {
        C.fail('setFailure', 'another objective has id "' + value + '"');
      }
    } else if (p === 'cmi.interactions.n.objectives.n.id') {
      if (clash(C.record(path, 0) + '.objectives', 'id', C.index(path, 1), equal)) {
        C.fail('setFailure', 'this interaction already has objective "' + value + '"');
      }
    } else if (p === 'cmi.interactions.n.correct_responses.n.pattern') {
      var rec = C.record(path, 0), kind = vals[rec + '.type'];
      var same = function (x) { return C.samePattern(kind, x, value); };
      if (clash(rec + '.correct_responses', 'pattern', C.index(path, 1), same)) {
        C.fail('setFailure', 'this interaction already has that pattern');
      }
    }
  }

  function arg(x) { return x === undefined || x === null ? '' : String(x); }

  // One SCO session: lifecycle, last error, and values changed since the last send.
  function Runtime(version, state, limits, send) {
    this.v = version;
    this.store = { values: Object.assign({}, state && state.values), counts: {} };
    this.limits = { suspend_data_max: (limits && limits.suspend_data_max) || 64000 };
    this.send = send;
    this.phase = 'new';
    this.err = { code: 0, diagnostic: '' };
    this.order = [];
    this.changed = {};
    this.seq = 0;
    this.timer = null;
    // Sent to the player but not yet acknowledged as stored: what the beacon carries when
    // the tab closes, since the player page may never handle its last messages then.
    this.unacked = [];
    this.beacon = null;
    this.beaconed = false;
  }
  Runtime.prototype.ok = function () { this.err = { code: 0, diagnostic: '' }; return true; };
  Runtime.prototype.fail = function (code, diagnostic) { this.err = { code: code, diagnostic: diagnostic }; return false; };
  Runtime.prototype.guard = function (op, param) {
    var codes = PHASE_CODES[this.v][op];
    if (param !== undefined && arg(param) !== '') return this.fail(201, 'the parameter must be ""');
    if (op === 'init') {
      if (this.phase === 'running') return this.fail(codes[0], 'already initialized');
      return this.phase === 'done' ? this.fail(codes[1], 'the session has terminated') : true;
    }
    if (this.phase === 'new') return this.fail(codes[0], 'not initialized');
    return this.phase === 'done' ? this.fail(codes[1], 'the session has terminated') : true;
  };
  Runtime.prototype.flush = function (final, reason) {
    root.clearTimeout(this.timer);
    this.timer = null;
    if (!final && this.order.length === 0) return;
    var changed = this.changed;
    var values = this.order.map(function (k) { return [k, changed[k]]; });
    this.order = [];
    this.changed = {};
    this.send({ type: 'cw-scorm-commit', final: final, reason: reason, seq: ++this.seq, values: values });
    this.unacked.push({ seq: this.seq, values: values });
    if (final) this.sendBeacon(true);
  };
  Runtime.prototype.ack = function (seq) {
    this.unacked = this.unacked.filter(function (e) { return e.seq > seq; });
  };
  // Everything unacknowledged, newer values winning, straight to the server.
  Runtime.prototype.sendBeacon = function (final) {
    if (!this.beacon || this.beaconed) return;
    var order = [], latest = {};
    this.unacked.forEach(function (e) {
      e.values.forEach(function (p) {
        if (!C.has(latest, p[0])) order.push(p[0]);
        latest[p[0]] = p[1];
      });
    });
    if (!final && order.length === 0) return;
    this.beacon(JSON.stringify({ seq: this.seq, final: final, values: order.map(function (k) { return [k, latest[k]]; }) }));
    if (final) this.beaconed = true;
  };
  Runtime.prototype.autosave = function () { if (this.phase === 'running') this.flush(false, 'autosave'); };
  Runtime.prototype.call = function (op, param, body) {
    try {
      if (!this.guard(op, param)) return op === 'get' ? '' : 'false';
      return body.call(this);
    } catch (e) {
      if (e instanceof C.Fault) {
        this.fail(C.CODES[this.v][e.kind], e.why);
        return op === 'get' ? '' : 'false';
      }
      this.fail(101, String(e && e.message || e));
      return op === 'get' ? '' : 'false';
    }
  };
  Runtime.prototype.api = function () {
    var rt = this, v = this.v;
    var texts = C.TEXTS[v];
    var a = {
      Initialize: function (p) { return rt.call('init', arg(p), function () { this.phase = 'running'; this.ok(); return 'true'; }); },
      Terminate: function (p) {
        return rt.call('term', arg(p), function () { this.flush(true, 'terminate'); this.phase = 'done'; this.ok(); return 'true'; });
      },
      Commit: function (p) { return rt.call('commit', arg(p), function () { this.flush(false, 'commit'); this.ok(); return 'true'; }); },
      GetValue: function (el) {
        return rt.call('get', undefined, function () { var r = getValue(v, this.store, arg(el)); this.ok(); return r; });
      },
      SetValue: function (el, value) {
        return rt.call('set', undefined, function () {
          var k = setValue(v, this.store, arg(el), arg(value), this.limits);
          if (!C.has(this.changed, k)) this.order.push(k);
          this.changed[k] = arg(value);
          if (!this.timer) this.timer = root.setTimeout(function () { rt.timer = null; rt.autosave(); }, AUTOSAVE_MS);
          this.ok();
          return 'true';
        });
      },
      GetLastError: function () { return String(rt.err.code); },
      GetErrorString: function (code) { return texts[Number(arg(code))] || ''; },
      GetDiagnostic: function (code) {
        var c = arg(code);
        if (c === '' || Number(c) === rt.err.code) return rt.err.diagnostic || texts[rt.err.code] || '';
        return texts[Number(c)] || '';
      }
    };
    if (v === '2004') { a.version = '1.0'; return a; }
    return { LMSInitialize: a.Initialize, LMSFinish: a.Terminate, LMSGetValue: a.GetValue, LMSSetValue: a.SetValue,
      LMSCommit: a.Commit, LMSGetLastError: a.GetLastError, LMSGetErrorString: a.GetErrorString,
      LMSGetDiagnostic: a.GetDiagnostic };
  };

  // The API object for a version ('1.2' or '2004'); send receives commit messages.
  function createApi(version, state, limits, send) { return new Runtime(version, state, limits, send).api(); }

  // Handshake with the player: only its origin, only from the parent frame.
  function start(win, playerOrigin) {
    var runtime = null;
    var post = function (msg) { win.parent.postMessage(msg, playerOrigin); };
    win.addEventListener('message', function (ev) {
      if (ev.origin !== playerOrigin || ev.source !== win.parent || !ev.data) return;
      if (ev.data.type === 'cw-scorm-init' && !runtime) {
        runtime = launch(win, ev.data, post);
      } else if (ev.data.type === 'cw-scorm-ack') {
        if (runtime) runtime.ack(Number(ev.data.seq) || 0);
        if (ev.data.rejected && ev.data.rejected.length) win.console.warn('SCORM: the server refused', ev.data.rejected);
      }
    });
    // A hidden page may be discarded without unload events: hand over what we have.
    win.document.addEventListener('visibilitychange', function () {
      if (runtime && win.document.visibilityState === 'hidden') runtime.autosave();
    });
    win.addEventListener('pagehide', function () {
      if (!runtime) return;
      runtime.autosave();
      runtime.sendBeacon(false);
    });
    post({ type: 'cw-scorm-ready' });
  }

  function launch(win, msg, post) {
    var url = null;
    try { url = new root.URL(msg.sco && msg.sco.url, win.location.href); } catch (e) { url = null; }
    // The SCO must share this origin, or its parent search cannot reach the API.
    if ((msg.version !== '1.2' && msg.version !== '2004') || !url || url.origin !== win.location.origin) {
      post({ type: 'cw-scorm-error', message: 'bad launch: unknown version or SCO not on the content origin' });
      return null;
    }
    var runtime = new Runtime(msg.version, msg.state, msg.limits, post);
    // The commit URL on this origin, keyed for this learner's SCO session (see routes/scorm.rs).
    if (typeof msg.beacon === 'string' && msg.beacon.charAt(0) === '/' && win.navigator.sendBeacon) {
      var beaconUrl = new root.URL(msg.beacon, win.location.href).href;
      runtime.beacon = function (body) { win.navigator.sendBeacon(beaconUrl, new root.Blob([body], { type: 'text/plain' })); };
    }
    win[msg.version === '1.2' ? 'API' : 'API_1484_11'] = runtime.api();
    var frame = win.document.getElementById('sco-frame');
    if (!frame) {
      frame = win.document.createElement('iframe');
      frame.id = 'sco-frame';
      win.document.body.appendChild(frame);
    }
    frame.src = url.href;
    return runtime;
  }

  root.CwScormBridge = { createApi: createApi, start: start };
  var script = root.document && root.document.currentScript;
  var origin = script && script.getAttribute('data-player-origin');
  if (origin) start(root, origin);
})(typeof window !== 'undefined' ? window : this);
