// The player page side of the SCORM runtime (app origin). The SCO runs on the
// content origin inside <iframe class="scorm-frame">, where scorm-bridge.js answers
// its API calls; this script hands the bridge its launch data, receives its
// commits and POSTs them to the server, and updates the table of contents.
//
// <section id="scorm-player" data-commit-url="/..." data-csrf="TOKEN"
//          data-content-origin="https://content.example">
//   <iframe class="scorm-frame" src="https://content.example/.../wrapper.html"></iframe>
//   <script type="application/json" class="scorm-launch">
//     {"version":"2004","state":{"values":{...}},"sco":{"id":"item-1","url":"https://content.example/..."},
//      "limits":{"suspend_data_max":64000},"beacon":"/scorm/commit/USER/ITEM/SESSION/KEY"}
//   (beacon: the keyed commit URL on the content origin the bridge uses when the tab closes)
//   </script>
//   <p class="scorm-message" hidden></p>
// </section>
// Plain ES2017, no dependencies.
(function () {
  'use strict';
  var root = document.getElementById('scorm-player');
  if (!root) return;
  var commitUrl = root.getAttribute('data-commit-url');
  var csrf = root.getAttribute('data-csrf') || '';
  var contentOrigin = root.getAttribute('data-content-origin');
  var frame = root.querySelector('iframe.scorm-frame');
  var launch = JSON.parse(root.querySelector('script.scorm-launch').textContent);
  var message = root.querySelector('.scorm-message');

  // Autosaved values wait this long for a commit to carry them; SCO commits and
  // Terminate are sent at once.
  var AUTOSAVE_POST_MS = 15000;
  var MAX_RETRY_MS = 30000;

  // A batch is values in first-changed order with their latest value.
  // urgent: a SCO Commit or Terminate is waiting, so send without delay.
  function batch() { return { order: [], values: {}, final: false, urgent: false, bridgeSeq: 0 }; }
  function add(b, pairs) {
    pairs.forEach(function (p) {
      if (!Object.prototype.hasOwnProperty.call(b.values, p[0])) b.order.push(p[0]);
      b.values[p[0]] = p[1];
    });
  }
  // older then newer, newer values winning: what to resend after a failure.
  function combine(older, newer) {
    var b = batch();
    [older, newer].forEach(function (x) {
      if (!x) return;
      add(b, pairs(x));
      b.final = b.final || x.final;
      b.urgent = b.urgent || x.urgent;
      b.bridgeSeq = Math.max(b.bridgeSeq, x.bridgeSeq);
    });
    return b;
  }
  function pairs(b) { return b.order.map(function (k) { return [k, b.values[k]]; }); }
  function isEmpty(b) { return b.order.length === 0 && !b.final; }

  var pending = batch();
  var inflight = null;
  var seq = 0;
  var timer = null;
  var retryMs = 0;
  var initSent = false;

  function say(text) {
    if (!message) return;
    message.textContent = text || '';
    message.hidden = !text;
  }

  function toBridge(msg) { if (frame.contentWindow) frame.contentWindow.postMessage(msg, contentOrigin); }

  function body(b) { return JSON.stringify({ sco: launch.sco.id, seq: ++seq, final: b.final, values: pairs(b) }); }

  function flush() {
    clearTimeout(timer);
    timer = null;
    if (inflight || isEmpty(pending)) return;
    inflight = pending;
    pending = batch();
    var sent = inflight;
    fetch(commitUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body(sent)
    }).then(function (res) {
      // A 4xx will not get better by retrying (bad session, CSRF, closed attempt).
      if (res.status >= 400 && res.status < 500) return { refused: res.status };
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    }).then(function (reply) {
      inflight = null;
      retryMs = 0;
      if (reply.refused) {
        say('Your progress could not be saved (error ' + reply.refused + '). Reload the page to continue.');
      } else {
        say('');
        // The server has the data now; a display problem must not trigger a resend.
        try { applyReply(reply, sent); } catch (e) { console.error(e); }
      }
      schedule();
    }).catch(function () {
      pending = combine(inflight, pending);
      inflight = null;
      retryMs = Math.min(retryMs ? retryMs * 2 : 2000, MAX_RETRY_MS);
      say('Saving progress failed; retrying.');
      timer = setTimeout(flush, retryMs);
    });
  }

  function schedule() {
    if (inflight || isEmpty(pending)) return;
    if (pending.urgent || pending.final) return flush();
    if (!timer) timer = setTimeout(flush, AUTOSAVE_POST_MS);
  }

  function applyReply(reply, sent) {
    (reply.toc || []).forEach(updateToc);
    toBridge({ type: 'cw-scorm-ack', seq: sent.bridgeSeq, rejected: reply.rejected || [] });
    // SCORM 2004 sequencing: the SCO's adl.nav.request at Terminate leads on.
    if (sent.final && reply.next_url && reply.next_url.charAt(0) === '/') {
      window.location.assign(reply.next_url);
    }
    if (sent.final) {
      root.dispatchEvent(new CustomEvent('cw-scorm:finished', {
        detail: { sco: launch.sco.id, navRequest: sent.values['adl.nav.request'] || null }
      }));
    }
  }

  // TOC entries are marked <li data-toc-sco="ID"><span class="toc-status"></span></li>;
  // attribute values are compared, not interpolated into a selector.
  function updateToc(item) {
    Array.prototype.forEach.call(document.querySelectorAll('[data-toc-sco]'), function (el) {
      if (el.getAttribute('data-toc-sco') !== String(item.sco)) return;
      if (item.completion) el.setAttribute('data-completion', item.completion);
      if (item.success) el.setAttribute('data-success', item.success);
      var label = el.querySelector('.toc-status');
      if (label && item.label) label.textContent = item.label;
    });
  }

  window.addEventListener('message', function (ev) {
    if (ev.origin !== contentOrigin || ev.source !== frame.contentWindow || !ev.data) return;
    var msg = ev.data;
    if (msg.type === 'cw-scorm-ready') {
      // A second "ready" means the wrapper reloaded; its state would be stale.
      if (initSent) return say('The course window reloaded. Reload the page to continue.');
      initSent = true;
      toBridge({ type: 'cw-scorm-init', version: launch.version, state: launch.state, sco: launch.sco, limits: launch.limits, beacon: launch.beacon });
    } else if (msg.type === 'cw-scorm-commit' && Array.isArray(msg.values)) {
      add(pending, msg.values.filter(function (p) { return Array.isArray(p) && p.length === 2; }).map(function (p) {
        return [String(p[0]), String(p[1])];
      }));
      pending.final = pending.final || msg.final === true;
      pending.bridgeSeq = Math.max(pending.bridgeSeq, Number(msg.seq) || 0);
      pending.urgent = pending.urgent || msg.reason !== 'autosave';
      schedule();
    } else if (msg.type === 'cw-scorm-error') {
      say('This course could not be started.');
    }
  });

  // The sequencing buttons (<form id="sequencing-nav">) end the SCO first: unloading its
  // frame makes it Terminate, and the request goes once its last values are stored, so
  // the server sequences on what the SCO reported.
  var navForm = document.getElementById('sequencing-nav');
  if (navForm) {
    navForm.addEventListener('submit', function (ev) {
      if (navForm.getAttribute('data-ready')) return;
      ev.preventDefault();
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'request';
      input.value = ev.submitter ? ev.submitter.value : 'continue';
      navForm.appendChild(input);
      Array.prototype.forEach.call(navForm.querySelectorAll('button'), function (b) { b.disabled = true; });
      frame.src = 'about:blank';
      var deadline = Date.now() + 4000;
      var go = function () {
        flush();
        var settled = !inflight && isEmpty(pending);
        if (settled || Date.now() > deadline) {
          navForm.setAttribute('data-ready', '1');
          navForm.submit();
        } else {
          setTimeout(go, 100);
        }
      };
      setTimeout(go, 300);
    });
  }

  // Tabs can be discarded while hidden; save while the page can still run.
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') flush();
  });

  // Last chance: whatever is unsent (or still in flight) goes as a beacon, which
  // cannot carry headers, hence the token in the query string and text/plain.
  window.addEventListener('pagehide', function () {
    var b = combine(inflight, pending);
    if (isEmpty(b)) return;
    var url = commitUrl + (commitUrl.indexOf('?') >= 0 ? '&' : '?') + 'csrf_token=' + encodeURIComponent(csrf);
    if (navigator.sendBeacon(url, new Blob([body(b)], { type: 'text/plain' }))) {
      inflight = null;
      pending = batch();
    }
  });
})();
