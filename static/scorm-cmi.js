// SCORM 1.2 and 2004 data model rules for the in-browser runtime: a compact port
// of src/scorm/cmi (the server re-checks every committed value with the same
// rules, so this copy only has to answer the SCO synchronously and correctly).
// Plain ES2017, no dependencies; defines window.CwScormCmi.
(function (root) {
  'use strict';

  // Fault kind -> error code, per version (see src/scorm/cmi/error.rs).
  var CODES = {
    '1.2': { emptyGet: 201, emptySet: 201, undef: 401, unimpl: 401, noChildren: 202, noCount: 203,
      noVersion: 401, keyword: 402, readOnly: 403, writeOnly: 404, notInit: 101, outOfRange: 201,
      outOfOrder: 201, dependency: 405, type: 405, range: 405, setFailure: 405 },
    '2004': { emptyGet: 301, emptySet: 351, undef: 401, unimpl: 402, noChildren: 301, noCount: 301,
      noVersion: 301, keyword: 404, readOnly: 404, writeOnly: 405, notInit: 403, outOfRange: 301,
      outOfOrder: 351, dependency: 408, type: 406, range: 407, setFailure: 351 }
  };
  var TEXTS = {
    '1.2': { 0: 'No error', 101: 'General Exception', 201: 'Invalid argument error',
      202: 'Element cannot have children', 203: 'Element not an array - cannot have count',
      301: 'Not initialized', 401: 'Not implemented error', 402: 'Invalid set value, element is a keyword',
      403: 'Element is read only', 404: 'Element is write only', 405: 'Incorrect Data Type' },
    '2004': { 0: 'No Error', 101: 'General Exception', 102: 'General Initialization Failure',
      103: 'Already Initialized', 104: 'Content Instance Terminated', 111: 'General Termination Failure',
      112: 'Termination Before Initialization', 113: 'Termination After Termination',
      122: 'Retrieve Data Before Initialization', 123: 'Retrieve Data After Termination',
      132: 'Store Data Before Initialization', 133: 'Store Data After Termination',
      142: 'Commit Before Initialization', 143: 'Commit After Termination', 201: 'General Argument Error',
      301: 'General Get Failure', 351: 'General Set Failure', 391: 'General Commit Failure',
      401: 'Undefined Data Model Element', 402: 'Unimplemented Data Model Element',
      403: 'Data Model Element Value Not Initialized', 404: 'Data Model Element Is Read Only',
      405: 'Data Model Element Is Write Only', 406: 'Data Model Element Type Mismatch',
      407: 'Data Model Element Value Out Of Range', 408: 'Data Model Dependency Not Established' }
  };

  function Fault(kind, why) { this.kind = kind; this.why = why; }
  function fail(kind, why) { throw new Fault(kind, why); }

  // Element descriptions: a = access, t = type, d = default.
  function ro(t, d) { return { a: 'ro', t: t, d: d }; }
  function rw(t, d) { return { a: 'rw', t: t, d: d }; }
  function wo(t) { return { a: 'wo', t: t }; }
  function text(max) { return { k: 'text', max: max }; }
  function langText(max) { return { k: 'langText', max: max }; }
  function vocab(words) { return { k: 'vocab', words: words }; }
  function real(min, max) { return { k: 'real', min: min, max: max }; }
  function int(min, max) { return { k: 'int', min: min, max: max }; }
  function uri(spm) { return { k: 'uri', spm: spm }; }
  var T = {};
  ['score12', 'timespan', 'cmiTime', 'interval', 'timestamp', 'ident12', 'result12', 'result2004',
    'feedback12', 'response', 'pattern', 'nav', 'language', 'suspend'].forEach(function (k) { T[k] = { k: k }; });

  var CREDIT = ['credit', 'no-credit'];
  var MODE = ['normal', 'browse', 'review'];
  var TLA = ['exit,message', 'exit,no message', 'continue,message', 'continue,no message'];
  var ANY = real(null, null);

  function table(rows) {
    var out = {};
    rows.forEach(function (r) { r[0].split(' ').forEach(function (name) { out[name] = r[1]; }); });
    return out;
  }

  var MODELS = {
    '1.2': {
      specs: table([
        ['cmi.core.student_id cmi.core.student_name', ro(text(255))],
        ['cmi.core.lesson_location', rw(text(255))],
        ['cmi.core.credit', ro(vocab(CREDIT))],
        // "not attempted" is the LMS's to set (1.2 RTE 3.4.4).
        ['cmi.core.lesson_status', rw(vocab(['passed', 'completed', 'failed', 'incomplete', 'browsed']))],
        ['cmi.core.entry', ro(vocab(['ab-initio', 'resume', '']))],
        ['cmi.core.score.raw cmi.core.score.min cmi.core.score.max', rw(T.score12)],
        ['cmi.core.total_time', ro(T.timespan)],
        ['cmi.core.lesson_mode', ro(vocab(MODE))],
        ['cmi.core.exit', wo(vocab(['time-out', 'suspend', 'logout', '']))],
        ['cmi.core.session_time', wo(T.timespan)],
        ['cmi.suspend_data', rw(T.suspend)],
        ['cmi.launch_data cmi.comments_from_lms', ro(text(4096))],
        ['cmi.comments', rw(text(4096))],
        ['cmi.objectives.n.id', rw(T.ident12)],
        ['cmi.objectives.n.score.raw cmi.objectives.n.score.min cmi.objectives.n.score.max', rw(T.score12)],
        ['cmi.objectives.n.status', rw(vocab(['passed', 'completed', 'failed', 'incomplete', 'browsed', 'not attempted']))],
        ['cmi.student_data.mastery_score', ro(T.score12)],
        ['cmi.student_data.max_time_allowed', ro(T.timespan)],
        ['cmi.student_data.time_limit_action', ro(vocab(TLA))],
        ['cmi.student_preference.audio', rw(int(-1, 100))],
        ['cmi.student_preference.language', rw(text(255))],
        ['cmi.student_preference.speed', rw(int(-100, 100))],
        ['cmi.student_preference.text', rw(int(-1, 1))],
        ['cmi.interactions.n.id cmi.interactions.n.objectives.n.id', wo(T.ident12)],
        ['cmi.interactions.n.time', wo(T.cmiTime)],
        ['cmi.interactions.n.type', wo(vocab(['true-false', 'choice', 'fill-in', 'matching', 'performance',
          'sequencing', 'likert', 'numeric']))],
        ['cmi.interactions.n.correct_responses.n.pattern cmi.interactions.n.student_response', wo(T.feedback12)],
        ['cmi.interactions.n.weighting', wo(ANY)],
        ['cmi.interactions.n.result', wo(T.result12)],
        ['cmi.interactions.n.latency', wo(T.timespan)]
      ]),
      children: {
        'cmi.core': 'student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time',
        'cmi.core.score': 'raw,min,max',
        'cmi.objectives.n.score': 'raw,min,max',
        'cmi.objectives': 'id,score,status',
        'cmi.student_data': 'mastery_score,max_time_allowed,time_limit_action',
        'cmi.student_preference': 'audio,language,speed,text',
        'cmi.interactions': 'id,objectives,time,type,correct_responses,weighting,student_response,result,latency'
      },
      collections: ['cmi.objectives', 'cmi.interactions', 'cmi.interactions.n.objectives',
        'cmi.interactions.n.correct_responses']
    },
    '2004': {
      specs: table([
        ['cmi.comments_from_learner.n.comment', rw(langText(4000))],
        ['cmi.comments_from_learner.n.location', rw(text(250))],
        ['cmi.comments_from_learner.n.timestamp', rw(T.timestamp)],
        ['cmi.comments_from_lms.n.comment', ro(langText(4000))],
        ['cmi.comments_from_lms.n.location', ro(text(250))],
        ['cmi.comments_from_lms.n.timestamp', ro(T.timestamp)],
        ['cmi.completion_status', rw(vocab(['completed', 'incomplete', 'not attempted', 'unknown']), 'unknown')],
        ['cmi.completion_threshold', ro(real(0, 1))],
        ['cmi.credit', ro(vocab(CREDIT), 'credit')],
        ['cmi.entry', ro(vocab(['ab-initio', 'resume', '']), 'ab-initio')],
        ['cmi.exit', wo(vocab(['time-out', 'timeout', 'suspend', 'logout', 'normal', '']))],
        ['cmi.interactions.n.id cmi.interactions.n.objectives.n.id cmi.objectives.n.id', rw(uri(4000))],
        ['cmi.interactions.n.type', rw(vocab(['true-false', 'choice', 'fill-in', 'long-fill-in', 'matching',
          'performance', 'sequencing', 'likert', 'numeric', 'other']))],
        ['cmi.interactions.n.timestamp', rw(T.timestamp)],
        ['cmi.interactions.n.correct_responses.n.pattern', rw(T.pattern)],
        ['cmi.interactions.n.weighting cmi.objectives.n.score.raw cmi.objectives.n.score.min ' +
          'cmi.objectives.n.score.max cmi.score.raw cmi.score.min cmi.score.max', rw(ANY)],
        ['cmi.interactions.n.learner_response', rw(T.response)],
        ['cmi.interactions.n.result', rw(T.result2004)],
        ['cmi.interactions.n.latency', rw(T.interval)],
        ['cmi.interactions.n.description cmi.objectives.n.description', rw(langText(250))],
        ['cmi.launch_data', ro(text(4000))],
        ['cmi.learner_id', ro(uri(4000))],
        ['cmi.learner_name', ro(langText(250))],
        ['cmi.learner_preference.audio_level cmi.learner_preference.delivery_speed', rw(real(0, null), '1')],
        ['cmi.learner_preference.language', rw(T.language, '')],
        ['cmi.learner_preference.audio_captioning', rw(vocab(['-1', '0', '1']), '0')],
        ['cmi.location', rw(text(1000))],
        ['cmi.max_time_allowed', ro(T.interval)],
        ['cmi.mode', ro(vocab(MODE), 'normal')],
        ['cmi.objectives.n.score.scaled cmi.score.scaled', rw(real(-1, 1))],
        ['cmi.objectives.n.success_status', rw(vocab(['passed', 'failed', 'unknown']), 'unknown')],
        ['cmi.objectives.n.completion_status', rw(vocab(['completed', 'incomplete', 'not attempted', 'unknown']), 'unknown')],
        ['cmi.objectives.n.progress_measure cmi.progress_measure', rw(real(0, 1))],
        ['cmi.scaled_passing_score', ro(real(-1, 1))],
        ['cmi.session_time', wo(T.interval)],
        ['cmi.success_status', rw(vocab(['passed', 'failed', 'unknown']), 'unknown')],
        ['cmi.suspend_data', rw(T.suspend)],
        ['cmi.time_limit_action', ro(vocab(TLA), 'continue,no message')],
        ['cmi.total_time', ro(T.interval, 'PT0H0M0S')],
        ['adl.nav.request', rw(T.nav, '_none_')],
        ['adl.nav.request_valid.continue adl.nav.request_valid.previous', ro(vocab(['true', 'false', 'unknown']), 'unknown')]
      ]),
      children: {
        'cmi.comments_from_learner': 'comment,location,timestamp',
        'cmi.comments_from_lms': 'comment,location,timestamp',
        'cmi.interactions': 'id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description',
        'cmi.learner_preference': 'audio_level,language,delivery_speed,audio_captioning',
        'cmi.objectives': 'id,score,success_status,completion_status,progress_measure,description',
        'cmi.score': 'scaled,raw,min,max',
        'cmi.objectives.n.score': 'scaled,raw,min,max'
      },
      collections: ['cmi.objectives', 'cmi.interactions', 'cmi.interactions.n.objectives',
        'cmi.interactions.n.correct_responses', 'cmi.comments_from_learner', 'cmi.comments_from_lms']
    }
  };

  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function isCollection(m, p) { return m.collections.indexOf(p) >= 0; }
  function isKnown(m, p) {
    return has(m.specs, p) || has(m.children, p) || isCollection(m, p) ||
      (/\.n$/.test(p) && isCollection(m, p.slice(0, -2)));
  }

  // Names: segments are strings or numeric indices; a trailing keyword is split off.
  function parsePath(el) {
    var parts = el.split('.'), segs = [], kw = null;
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i];
      if (p === '' || p === 'n') return null;
      segs.push(/^\d+$/.test(p) ? Math.min(Number(p), Number.MAX_SAFE_INTEGER) : p);
    }
    var last = segs[segs.length - 1];
    if (last === '_children' || last === '_count' || last === '_version') { kw = last; segs.pop(); }
    return { segs: segs, kw: kw };
  }
  function pattern(path) {
    return path.segs.map(function (s) { return typeof s === 'number' ? 'n' : s; }).join('.');
  }
  function key(segs) { return segs.join('.'); }
  // Prefix through the level-th index, and that index.
  function record(path, level) {
    for (var i = 0, seen = 0; i < path.segs.length; i++) {
      if (typeof path.segs[i] === 'number' && seen++ === level) return key(path.segs.slice(0, i + 1));
    }
    return '';
  }
  function index(path, level) {
    return path.segs.filter(function (s) { return typeof s === 'number'; })[level];
  }

  // Collection counts follow from the keys (records are packed from 0).
  function count(store, prefix) {
    var cache = store.counts;
    if (has(cache, prefix)) return cache[prefix];
    var n = 0, start = prefix + '.';
    Object.keys(store.values).forEach(function (k) {
      if (k.lastIndexOf(start, 0) === 0) {
        var i = Number(k.slice(start.length).split('.')[0]);
        if (i + 1 > n) n = i + 1;
      }
    });
    cache[prefix] = n;
    return n;
  }
  function checkIndices(store, path, forSet) {
    var prefix = [];
    path.segs.forEach(function (s) {
      if (typeof s === 'number') {
        var c = count(store, key(prefix));
        if (forSet ? s > c : s >= c) {
          fail(forSet ? 'outOfOrder' : 'outOfRange', key(prefix) + ' has ' + c + ' records; index ' + s + ' is out of range');
        }
      }
      prefix.push(s);
    });
  }

  // Value types.
  function len(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) { var c = s.charCodeAt(i); if (c < 0xd800 || c > 0xdbff) n++; }
    return n;
  }
  function checkLen(s, max, what) {
    if (s.length > max && len(s) > max) fail('setFailure', what + ' is ' + len(s) + ' characters; the limit is ' + max);
  }
  function parseReal(s) { return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : null; }
  function isLang(s) { return s.length <= 250 && /^([a-zA-Z]{2,3}|[iIxX])(-[a-zA-Z0-9]{1,8})*$/.test(s); }
  function stripLang(s) {
    var m = /^\{lang=([^}]*)\}/.exec(s);
    if (!m) return s;
    if (!isLang(m[1])) fail('type', '"' + m[1] + '" is not a language code');
    return s.slice(m[0].length);
  }
  function checkUri(s, spm, what) {
    if (s === '' || /[\u0000-\u0020\u007f"<>\\^`{|}]/.test(s) || /%(?![0-9A-Fa-f]{2})/.test(s) ||
        s.split('#').length > 2) fail('type', what + ' "' + s + '" is not a URI');
    checkLen(s, spm, what);
  }
  function isTimespan(s) { return /^\d{2,4}:[0-5]\d:[0-5]\d(\.\d{1,2})?$/.test(s); }
  function isInterval(s) {
    return /^P(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/.test(s) && !/[PT]$/.test(s);
  }
  function isTimestamp(s) {
    var m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.\d{1,2}(Z|[+-](\d{2})(?::(\d{2}))?)?)?)?)?)?)?)?$/.exec(s);
    if (!m) return false;
    var y = +m[1], mo = m[2] ? +m[2] : 1, d = m[3] ? +m[3] : 1;
    var days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
    return y >= 1970 && y <= 2038 && mo >= 1 && mo <= 12 && d >= 1 && d <= days &&
      !(+m[4] > 23) && !(+m[5] > 59) && !(+m[6] > 59) && !(+m[8] > 23) && !(+m[9] > 59);
  }

  function checkValue(t, v, store, path, limits) {
    var inVocab = function (words) {
      if (words.indexOf(v) < 0) fail('type', '"' + v + '" is not one of: ' + words.join(', '));
    };
    var realIn = function (min, max) {
      var x = parseReal(v);
      if (x === null) fail('type', '"' + v + '" is not a number');
      if ((min !== null && x < min) || (max !== null && x > max)) fail('range', x + ' is out of range');
    };
    var format = function (ok, what) { if (!ok) fail('type', '"' + v + '" is not a ' + what); };
    var kind = function () { return store.values[record(path, 0) + '.type'] || ''; };
    switch (t.k) {
      case 'text': return checkLen(v, t.max, 'the value');
      case 'langText': return checkLen(stripLang(v), t.max, 'the text');
      case 'suspend': return checkLen(v, limits.suspend_data_max, 'cmi.suspend_data');
      case 'vocab': return inVocab(t.words);
      case 'real': return realIn(t.min, t.max);
      case 'score12': return v === '' ? undefined : realIn(0, 100);
      case 'int':
        if (!/^-?\d{1,6}$/.test(v)) fail('type', '"' + v + '" is not an integer');
        if (+v < t.min || +v > t.max) fail('range', v + ' is out of range');
        return;
      case 'timespan': return format(isTimespan(v), 'CMITimespan');
      case 'cmiTime': return format(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?$/.test(v), 'CMITime');
      case 'interval': return format(isInterval(v), 'timeinterval');
      case 'timestamp': return format(isTimestamp(v), 'time');
      case 'ident12':
        format(v !== '' && !/[\s\u0000-\u001f\u007f-\u009f]/.test(v), 'CMIIdentifier');
        return checkLen(v, 255, 'CMIIdentifier');
      case 'uri': return checkUri(v, t.spm, 'identifier');
      case 'result12':
        return ['correct', 'wrong', 'unanticipated', 'neutral'].indexOf(v) >= 0 ? undefined : realIn(null, null);
      case 'result2004':
        return ['correct', 'incorrect', 'unanticipated', 'neutral'].indexOf(v) >= 0 ? undefined : realIn(null, null);
      case 'feedback12': return checkLen(v, 255, 'CMIFeedback');
      case 'response': return checkResponse(kind(), v, false);
      case 'pattern': return checkResponse(kind(), v, true);
      case 'nav': return checkNav(v);
      case 'language': return format(v === '' || isLang(v), 'language code');
    }
  }

  function checkNav(v) {
    if (['continue', 'previous', 'exit', 'exitAll', 'abandon', 'abandonAll', 'suspendAll', '_none_'].indexOf(v) >= 0) return;
    var m = /^\{target=([^}]*)\}(choice|jump)$/.exec(v);
    if (!m) fail('type', '"' + v + '" is not a navigation request');
    checkUri(m[1], 4000, 'navigation target');
  }

  // 2004 interaction formats (RTE 4.2.9.1, 4.2.9.2), per interaction type.
  var SHORT = 250, LONG = 4000;
  // Leading {name=value} delimiters this field allows, each once; returns the rest.
  function delims(v, allowed) {
    var seen = [];
    for (;;) {
      var m = /^\{([^}]*)\}/.exec(v), eq = m ? m[1].indexOf('=') : -1;
      if (eq < 0) return v;
      var name = m[1].slice(0, eq), val = m[1].slice(eq + 1);
      if (allowed.indexOf(name) < 0 || seen.indexOf(name) >= 0) return v;
      if (name === 'lang' ? !isLang(val) : val !== 'true' && val !== 'false') {
        fail('type', 'bad value "' + val + '" for the ' + name + ' delimiter');
      }
      seen.push(name);
      v = v.slice(m[0].length);
    }
  }
  function splitOnce(s, sep) { var p = s.split(sep); return p.length === 2 ? p : null; }
  function bound(s) {
    if (s === '') return null;
    var x = parseReal(s);
    if (x === null) fail('type', '"' + s + '" is not a real number');
    return x;
  }
  function range(v) {
    var p = splitOnce(v, '[:]');
    if (!p) fail('type', 'a numeric pattern is min[:]max');
    var lo = bound(p[0]), hi = bound(p[1]);
    if (lo !== null && hi !== null && lo > hi) fail('type', 'the range minimum exceeds its maximum');
    if (lo === null && hi === null) fail('type', 'a numeric range needs a minimum or a maximum');
  }
  function each(v, check) { v.split('[,]').forEach(check); }
  function checkResponse(kind, v, isPattern) {
    switch (kind) {
      case 'true-false':
        if (v !== 'true' && v !== 'false') fail('type', 'true-false takes "true" or "false"');
        return;
      case 'choice':
        if (v === '') return;
        return each(v, function (id, i, all) {
          checkUri(id, SHORT, 'choice identifier');
          if (all.indexOf(id) < i) fail('type', 'choice identifier "' + id + '" is repeated');
        });
      case 'fill-in':
        return each(isPattern ? delims(v, ['case_matters', 'order_matters']) : v, function (item) {
          checkLen(delims(item, ['lang']), SHORT, 'fill-in text');
        });
      case 'long-fill-in':
        return checkLen(delims(v, isPattern ? ['case_matters', 'lang'] : ['lang']), LONG, 'long-fill-in text');
      case 'likert': return checkUri(v, SHORT, 'likert value');
      case 'matching':
        if (v === '') { if (isPattern) fail('type', 'a matching pattern needs a pair'); return; }
        return each(v, function (pair) {
          var p = splitOnce(pair, '[.]');
          if (!p) fail('type', '"' + pair + '" is not a source[.]target pair');
          checkUri(p[0], SHORT, 'matching source');
          checkUri(p[1], SHORT, 'matching target');
        });
      case 'performance':
        return each(isPattern ? delims(v, ['order_matters']) : v, function (step) {
          var p = splitOnce(step, '[.]');
          if (!p) fail('type', '"' + step + '" is not a name[.]answer step');
          if (p[0] === '' && p[1] === '') fail('type', 'a performance step needs a name or an answer');
          if (p[0] !== '') checkUri(p[0], SHORT, 'step name');
          if (p[1].indexOf('[:]') >= 0) range(p[1]); else checkLen(p[1], SHORT, 'step answer');
        });
      case 'sequencing': return each(v, function (id) { checkUri(id, SHORT, 'sequencing identifier'); });
      case 'numeric':
        // A bare number means n[:]n (a tolerance; see numeric_pattern in responses.rs).
        if (isPattern) return v.indexOf('[:]') < 0 && parseReal(v) !== null ? undefined : range(v);
        if (parseReal(v) === null) fail('type', 'numeric response is not a real number');
        return;
      case 'other': return checkLen(v, LONG, 'the value');
      default: fail('type', 'unknown interaction type "' + kind + '"');
    }
  }
  function samePattern(kind, a, b) {
    if (kind === 'choice') return a.split('[,]').sort().join('\n') === b.split('[,]').sort().join('\n');
    return kind === 'sequencing' && a === b;
  }
  function maxPatterns(kind) { return ['true-false', 'likert', 'numeric', 'other'].indexOf(kind) >= 0 ? 1 : null; }

  root.CwScormCmi = {
    CODES: CODES, TEXTS: TEXTS, MODELS: MODELS, Fault: Fault, fail: fail, has: has,
    isCollection: isCollection, isKnown: isKnown, parsePath: parsePath, pattern: pattern, key: key,
    record: record, index: index, count: count, checkIndices: checkIndices, checkValue: checkValue,
    parseReal: parseReal, isInterval: isInterval, isTimestamp: isTimestamp, isTimespan: isTimespan,
    checkUri: checkUri, samePattern: samePattern, maxPatterns: maxPatterns
  };
})(typeof window !== 'undefined' ? window : this);
