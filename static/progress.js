// Learner progress on the lesson page (see src/tracking/). Attaches to
// <div id="progress-tracker" data-item data-kind data-user data-csrf data-resume>; plain
// ES2017, no dependencies, no requests to other sites.
//
// What is reported: the media intervals actually played (a seek plays nothing) and the
// wall-clock spans the page was visible and, for video and audio, playing. Reports go into
// a queue in localStorage, so nothing is lost offline or when the page closes; the queue is
// sent every 15 s while studying, on pause and seek, when the network returns, and with
// navigator.sendBeacon when the page goes away. Every event has an id of its own, so the
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

  var sending = false;
  var retryMs = 1000;
  var retryTimer = null;

  function showOffline(on) {
    if (offlineNote) offlineNote.hidden = !on;
  }

  function body(events) {
    return JSON.stringify({ sent_at: Date.now(), events: events });
  }

  function flush() {
    var queue = loadQueue();
    if (sending || queue.length === 0) return;
    if (navigator.onLine === false) { showOffline(true); return; }
    sending = true;
    var batch = queue.slice(0, PER_BATCH);
    fetch(ENDPOINT, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body(batch)
    }).then(function (res) {
      if (res.ok) {
        return res.json().then(function (out) {
          var done = out.accepted.concat(out.duplicates, out.rejected.map(function (r) { return r.id; }));
          forget(done);
        });
      }
      // A malformed batch cannot succeed later; anything else (signed out, server busy) can.
      if (res.status === 400) { forget(batch.map(function (e) { return e.id; })); return; }
      throw new Error('HTTP ' + res.status);
    }).then(function () {
      sending = false;
      retryMs = 1000;
      showOffline(false);
      if (loadQueue().length > 0) flush();
    }).catch(function () {
      sending = false;
      showOffline(navigator.onLine === false);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(flush, retryMs);
      retryMs = Math.min(retryMs * 2, 60000);
    });
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
  window.addEventListener('pageshow', function (e) { if (e.persisted) { updateActive(); openSegment(); flush(); } });
  window.addEventListener('online', function () { showOffline(false); flush(); });
  window.addEventListener('offline', function () { showOffline(true); });

  setInterval(function () {
    updateActive();
    if (studying() || played.length || active.length) report();
    flush();
  }, HEARTBEAT_MS);

  enqueue({ id: newId(), item_id: item, type: 'open', at: Date.now() });
  flush();
})();
