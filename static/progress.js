// Learner progress on the lesson page (see src/tracking/). Attaches to
// <div id="progress-tracker" data-item data-kind data-user data-csrf data-resume>; plain
// ES2017, no dependencies, no requests to other sites.
//
// What is reported: the media intervals actually played (a seek plays nothing) and the
// wall-clock spans the page was visible and, for video and audio, playing. Reports go into
// a queue in localStorage, so nothing is lost offline or when the page closes; the queue is
// sent every 15 s while studying, on pause and seek, when the network returns, and with
// navigator.sendBeacon when the page goes away; a send that fails retries with back-off. Every event has an id of its own, so the
// server counts a resent event once: events leave the queue only when the server says so.
(function () {
  'use strict';

  var box = document.getElementById('progress-tracker');
  if (!box) return;

  var ENDPOINT = '/api/v1/progress/events';
  var HEARTBEAT_MS = 15000;
  // Pages, documents and files: time stops counting after this long without any input.
  var IDLE_MS = 5 * 60 * 1000;
  var MAX_QUEUE = 1000;
  var PER_BATCH = 100;

  var item = Number(box.dataset.item);
  var csrf = box.dataset.csrf || '';
  var queueKey = 'cw-progress-queue:' + (box.dataset.user || '');
  var media = document.getElementById('player');
  if (media && !/^(VIDEO|AUDIO)$/.test(media.tagName)) media = null;
  var offlineNote = document.getElementById('progress-offline');

  // --- the queue -------------------------------------------------------------------

  var memoryQueue = [];
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(queueKey) || '[]'); } catch (e) { return memoryQueue; }
  }
  function saveQueue(queue) {
    queue = queue.slice(-MAX_QUEUE);
    memoryQueue = queue;
    try { localStorage.setItem(queueKey, JSON.stringify(queue)); } catch (e) { /* private mode: memory only */ }
  }
  function enqueue(event) {
    var queue = loadQueue();
    queue.push(event);
    saveQueue(queue);
  }
  function forget(ids) {
    var gone = {};
    ids.forEach(function (id) { gone[id] = true; });
    saveQueue(loadQueue().filter(function (e) { return !gone[e.id]; }));
  }

  // crypto.getRandomValues works on plain http too (randomUUID needs a secure context).
  function newId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join('');
  }

  // --- sending -----------------------------------------------------------------------
  //
  // A request that gets no answer is given up after REQUEST_TIMEOUT_MS (a dropped link can
  // leave one hanging for over a minute), so it never holds the queue; failures retry with
  // exponential back-off and jitter. navigator.onLine is only a hint: "offline" may be
  // false while nothing gets through, so sending is always attempted, and the "online"
  // event just retries at once.

  var REQUEST_TIMEOUT_MS = 10000;
  var RETRY_MIN_MS = 1000;
  var RETRY_MAX_MS = 30000;
  var inFlight = null;    // the AbortController of the request being sent
  var failures = 0;
  var retryTimer = null;

  // The note is shown while reports wait after a failed send, and goes once they are sent.
  function showOffline(on) {
    if (offlineNote) offlineNote.hidden = !on;
  }

  function body(events) {
    return JSON.stringify({ sent_at: Date.now(), events: events });
  }

  function scheduleRetry() {
    clearTimeout(retryTimer);
    var ceiling = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * Math.pow(2, Math.min(failures - 1, 10)));
    // Full jitter between half and all of the ceiling: many learners on one link whose
    // connection came back do not all retry in the same instant.
    retryTimer = setTimeout(function () { flush(true); }, ceiling / 2 + Math.random() * ceiling / 2);
  }

  // Sends the head of the queue. After a failure only the retry timer (`retrying`) or
  // retryNow() sends, so heartbeats and pauses do not undo the back-off.
  function flush(retrying) {
    var queue = loadQueue();
    if (inFlight || queue.length === 0 || (failures > 0 && !retrying)) return;
    clearTimeout(retryTimer);
    var controller = new AbortController();
    inFlight = controller;
    var timer = setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    var batch = queue.slice(0, PER_BATCH);
    fetch(ENDPOINT, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body(batch),
      signal: controller.signal
    }).then(function (res) {
      if (res.ok) {
        return res.json().then(function (out) {
          var done = out.accepted.concat(out.duplicates, out.rejected.map(function (r) { return r.id; }));
          forget(done);
        });
      }
      // A malformed batch cannot succeed later; anything else (signed out, server busy) can.
      if (res.status === 400) { forget(batch.map(function (e) { return e.id; })); return; }
      if (res.status === 403) refreshCsrf();
      throw new Error('HTTP ' + res.status);
    }).then(function () {
      clearTimeout(timer);
      if (inFlight === controller) inFlight = null;
      failures = 0;
      var left = loadQueue().length;
      showOffline(false);
      if (left > 0) flush(true);
    }).catch(function () {
      clearTimeout(timer);
      // An older request aborted by retryNow() must not reschedule over the new one.
      if (inFlight !== controller) return;
      inFlight = null;
      failures += 1;
      showOffline(loadQueue().length > 0);
      scheduleRetry();
    });
  }

  // A page stored for offline study keeps the CSRF token of the session it was saved in,
  // which the server refuses after the learner signed in again. The session's current
  // token is taken for the retry, but only if it is the same learner's: another learner's
  // session must never carry these reports.
  function refreshCsrf() {
    fetch('/api/v1/me', { credentials: 'same-origin', cache: 'no-store' }).then(function (res) {
      return res.ok ? res.json() : null;
    }).then(function (me) {
      if (me && me.user && String(me.user.id) === box.dataset.user && me.csrf_token) csrf = me.csrf_token;
    }).catch(function () { /* the next failure asks again */ });
  }

  // The browser says the link is back: drop any request still hanging and send now.
  function retryNow() {
    if (inFlight) { var stale = inFlight; inFlight = null; stale.abort(); }
    failures = 0;
    flush();
  }

  // The page is going away: hand what is queued to the browser to deliver. The events stay
  // queued; the next page sends them again and the server answers "duplicate".
  function sendBeacon() {
    var queue = loadQueue();
    if (queue.length === 0 || !navigator.sendBeacon) return;
    // A string body goes as text/plain, the one type a beacon sends without a preflight.
    navigator.sendBeacon(ENDPOINT + '?csrf_token=' + encodeURIComponent(csrf), body(queue.slice(0, PER_BATCH)));
  }

  // --- what is measured --------------------------------------------------------------

  var played = [];        // closed [from, to] media intervals since the last report
  var segmentStart = null; // start of the interval being played now
  var lastTime = 0;       // the media time last seen while playing
  var active = [];        // closed [start, end] wall-clock spans since the last report
  var activeStart = null; // start of the span running now
  var lastInput = Date.now();
  var lastPosition = null;

  function visible() { return document.visibilityState === 'visible'; }

  function studying() {
    if (media) return visible() && !media.paused && !media.seeking && !media.ended && media.readyState >= 3;
    return visible() && Date.now() - lastInput < IDLE_MS;
  }

  // Starts or ends the current wall-clock span to match what is happening now.
  function updateActive() {
    var now = Date.now();
    if (studying()) {
      if (activeStart === null) activeStart = now;
    } else if (activeStart !== null) {
      if (now > activeStart) active.push([activeStart, now]);
      activeStart = null;
    }
  }

  function closeSegment(at) {
    if (segmentStart !== null && at > segmentStart) played.push([segmentStart, at]);
    segmentStart = null;
  }

  function openSegment() {
    if (media && studying()) {
      segmentStart = media.currentTime;
      lastTime = media.currentTime;
    }
  }

  // Queues one progress event with what was measured since the previous one.
  function report() {
    var now = Date.now();
    // Split the interval playing now at the last time seen; the rest goes in the next report.
    if (segmentStart !== null) {
      if (lastTime > segmentStart) played.push([segmentStart, lastTime]);
      segmentStart = lastTime;
    }
    if (activeStart !== null) {
      if (now > activeStart) active.push([activeStart, now]);
      activeStart = studying() ? now : null;
    }
    var event = { id: newId(), item_id: item, type: 'progress', at: now };
    if (played.length) event.played = played;
    if (active.length) event.active = active;
    if (media) {
      var position = Math.round(media.currentTime * 1000) / 1000;
      if (position !== lastPosition) event.position = { seconds: position };
      lastPosition = position;
      if (isFinite(media.duration) && media.duration > 0) event.duration = media.duration;
    }
    played = [];
    active = [];
    if (event.played || event.active || event.position !== undefined) enqueue(event);
  }

  function reportAndSend() {
    report();
    flush();
  }

  if (media) {
    media.addEventListener('playing', function () { updateActive(); openSegment(); });
    media.addEventListener('timeupdate', function () {
      if (segmentStart === null) return;
      var t = media.currentTime;
      // Normal playback advances a little between updates; anything else is a jump.
      var step = t - lastTime;
      if (step < 0 || step > 2 * Math.max(1, media.playbackRate)) {
        closeSegment(lastTime);
        segmentStart = t;
      }
      lastTime = t;
    });
    // `seeking` fires with currentTime already at the target: the interval ends where
    // playback was last seen, and nothing between there and the target counts.
    media.addEventListener('seeking', function () { closeSegment(lastTime); updateActive(); reportAndSend(); });
    media.addEventListener('seeked', function () { updateActive(); openSegment(); });
    media.addEventListener('waiting', function () { closeSegment(media.currentTime); updateActive(); });
    ['pause', 'ended'].forEach(function (name) {
      media.addEventListener(name, function () { closeSegment(media.currentTime); updateActive(); reportAndSend(); });
    });
    resume();
  } else {
    ['keydown', 'pointerdown', 'scroll', 'wheel', 'touchstart'].forEach(function (name) {
      window.addEventListener(name, function () { lastInput = Date.now(); updateActive(); }, { passive: true });
    });
    updateActive();
  }

  // Resumes at the last position: the server's, or a newer one still in the queue.
  function resume() {
    var at = parseFloat(box.dataset.resume);
    loadQueue().forEach(function (e) {
      if (e.item_id === item && e.position && typeof e.position.seconds === 'number') at = e.position.seconds;
    });
    if (!(at > 1)) return;
    var seek = function () {
      if (!(at < media.duration - 2)) return;
      media.currentTime = at;
      lastTime = at;
      var note = document.getElementById('progress-resumed');
      if (note) note.hidden = false;
    };
    if (media.readyState >= 1) seek(); else media.addEventListener('loadedmetadata', seek, { once: true });
  }

  document.addEventListener('visibilitychange', function () {
    if (visible()) {
      updateActive();
      openSegment();
    } else {
      if (media) closeSegment(media.currentTime);
      updateActive();
      reportAndSend();
    }
  });
  window.addEventListener('pagehide', function () {
    if (media) closeSegment(media.currentTime);
    updateActive();
    report();
    sendBeacon();
  });
  window.addEventListener('pageshow', function (e) { if (e.persisted) { updateActive(); openSegment(); retryNow(); } });
  window.addEventListener('online', retryNow);
  // A hint only: the note shows if anything is waiting; the next send decides.
  window.addEventListener('offline', function () { showOffline(loadQueue().length > 0); });

  setInterval(function () {
    updateActive();
    if (studying() || played.length || active.length) report();
    flush();
  }, HEARTBEAT_MS);

  enqueue({ id: newId(), item_id: item, type: 'open', at: Date.now() });
  flush();
})();
