// "Download for offline study" on the course page: attaches to <section id="offline"
// data-course data-version data-manifest data-t-*>. Shows the size and the free space before
// anything is downloaded, downloads the course's pages and files into the Cache API (files
// by range requests, kept in pieces, so an interrupted download resumes where it stopped),
// and removes the download. static/sw.js serves the copy. See docs/offline.md.
(function () {
  'use strict';

  var box = document.getElementById('offline');
  if (!box || !('serviceWorker' in navigator) || !window.caches || !window.ReadableStream) return;

  var course = box.dataset.course;
  var version = Number(box.dataset.version);
  var COPY = 'cw-offline-course-' + course;   // finished pages and files, by key
  var PIECES = 'cw-offline-pieces-' + course; // pieces of files still downloading
  var RECORD = '/offline/courses/' + course;  // in COPY: what was downloaded, and when
  var PIECE_BYTES = 256 * 1024;

  var check = box.querySelector('.offline-check');
  var start = box.querySelector('.offline-start');
  var remove = box.querySelector('.offline-remove');
  var bar = box.querySelector('progress');
  var status = box.querySelector('.offline-status');
  var manifest = null;

  function text(name, values) {
    var s = box.dataset['t' + name] || '';
    Object.keys(values || {}).forEach(function (k) { s = s.split('{' + k + '}').join(values[k]); });
    return s;
  }
  function human(bytes) {
    if (bytes >= 1e9) return (bytes / 1e9).toFixed(1) + ' GB';
    if (bytes >= 1e6) return (bytes / 1e6).toFixed(1) + ' MB';
    return Math.max(1, Math.round(bytes / 1e3)) + ' KB';
  }
  function say(message) { status.textContent = message; }
  function show(el, on) { el.hidden = !on; }

  async function record() {
    // Not caches.open: that would make the (empty) cache a removal just deleted.
    var hit = await caches.match(RECORD, { cacheName: COPY });
    return hit ? hit.json() : null;
  }

  // Tells the service worker that what the device keeps has changed.
  async function announce() {
    var registration = await navigator.serviceWorker.ready;
    if (registration.active) registration.active.postMessage('offline-changed');
  }

  async function refresh() {
    var done = await record();
    show(start, false);
    show(bar, false);
    show(remove, !!done);
    show(check, !done || done.version_id !== version);
    if (done && done.version_id === version) say(text('Done', { size: human(done.bytes) }));
    else if (done) say(text('Outdated'));
    else say('');
  }

  // --- pieces of a file being downloaded --------------------------------------------------

  function pieceKey(key, offset) { return key + '?piece=' + offset; }

  // The pieces kept for `key`, in order, if they follow each other from byte 0; otherwise
  // none (and they are dropped).
  async function piecesOf(pieces, key) {
    var prefix = new URL(key + '?piece=', location.href).href;
    var found = [];
    (await pieces.keys()).forEach(function (req) {
      if (req.url.indexOf(prefix) === 0) found.push({ req: req, offset: Number(req.url.slice(prefix.length)) });
    });
    found.sort(function (a, b) { return a.offset - b.offset; });
    var at = 0;
    for (var i = 0; i < found.length; i++) {
      var res = await pieces.match(found[i].req);
      found[i].blob = await res.blob();
      found[i].headers = res.headers;
      if (found[i].offset !== at) { await dropPieces(pieces, found); return []; }
      at += found[i].blob.size;
    }
    return found;
  }

  async function dropPieces(pieces, found) {
    await Promise.all(found.map(function (p) { return pieces.delete(p.req); }));
  }

  // The headers a stored file is answered with: its type, and the sandbox the server puts
  // on package HTML, which must hold offline too.
  function keptHeaders(from) {
    var headers = {};
    ['Content-Type', 'Content-Security-Policy', 'X-Content-Type-Options', 'ETag', 'Last-Modified'].forEach(function (name) {
      var v = from.get(name);
      if (v) headers[name] = v;
    });
    return headers;
  }

  // Downloads one file into the copy by range requests from where its kept pieces end.
  async function downloadFile(copy, pieces, entry, counted) {
    var found = await piecesOf(pieces, entry.key);
    var offset = 0;
    found.forEach(function (p) { offset += p.blob.size; });
    counted(offset);
    var headers = found.length ? found[0].headers : null;
    while (offset < entry.size) {
      var ask = { Range: 'bytes=' + offset + '-' };
      // If-Range: should the file have changed, the server sends all of it instead.
      if (offset > 0 && headers && headers.get('ETag')) ask['If-Range'] = headers.get('ETag');
      var res = await fetch(entry.url, { headers: ask, credentials: 'same-origin', cache: 'no-store' });
      if (res.status === 200) {
        counted(-offset);
        await dropPieces(pieces, found);
        found = [];
        offset = 0;
      } else if (res.status !== 206 || Number((/^bytes (\d+)-/.exec(res.headers.get('Content-Range') || '') || [])[1]) !== offset) {
        throw new Error('HTTP ' + res.status + ' for ' + entry.key);
      }
      headers = res.headers;
      var before = offset;
      var reader = res.body.getReader();
      var buffer = [];
      var buffered = 0;
      var keep = async function () {
        if (!buffered) return;
        var blob = new Blob(buffer);
        await pieces.put(pieceKey(entry.key, offset), new Response(blob, { headers: keptHeaders(headers) }));
        found.push({ req: new Request(pieceKey(entry.key, offset)), offset: offset, blob: blob });
        offset += buffered;
        buffer = [];
        buffered = 0;
      };
      try {
        for (;;) {
          var step = await reader.read();
          if (step.done) break;
          buffer.push(step.value);
          buffered += step.value.length;
          counted(step.value.length);
          if (buffered >= PIECE_BYTES) await keep();
        }
      } catch (e) {
        await keep(); // what arrived before the drop is kept: the next try starts after it
        throw e;
      }
      await keep();
      if (offset === before) throw new Error('no progress on ' + entry.key);
    }
    var whole = new Blob(found.map(function (p) { return p.blob; }), { type: (headers && headers.get('Content-Type')) || '' });
    if (whole.size !== entry.size) throw new Error('size of ' + entry.key);
    var kept = keptHeaders(headers);
    kept['Content-Length'] = String(whole.size);
    await copy.put(entry.key, new Response(whole, { headers: kept }));
    await dropPieces(pieces, found);
  }

  // A service worker never serves a frame with the sandbox attribute (Chromium sends its
  // request straight to the network), so the stored lesson page frames its HTML lesson
  // without it; static/sw.js puts the server's sandbox policy on every stored course file,
  // which is what sandboxes such a file opened on its own today (docs/security.md).
  function unsandboxedFrame(html) {
    return html.replace(/(<iframe class="page"[^>]*?) sandbox="[^"]*"/, '$1');
  }

  // Pages and static files are small: fetched whole. Stored without transfer headers.
  async function downloadWhole(copy, entry, counted) {
    var res = await fetch(entry.url, { credentials: 'same-origin' });
    if (!res.ok) throw new Error('HTTP ' + res.status + ' for ' + entry.key);
    var blob = entry.kind === 'page' ? new Blob([unsandboxedFrame(await res.text())]) : await res.blob();
    await copy.put(entry.key, new Response(blob, { headers: { 'Content-Type': res.headers.get('Content-Type') || '' } }));
    counted(entry.size);
  }

  async function measure() {
    // The video quality the learner chose on this device (video.js) is the one kept.
    var quality = 'auto';
    try { quality = localStorage.getItem('courseware.video.quality') || 'auto'; } catch (e) { /* private mode */ }
    var res = await fetch(box.dataset.manifest + '?quality=' + encodeURIComponent(quality), { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    manifest = await res.json();
    var have = 0;
    for (var i = 0; i < manifest.entries.length; i++) {
      if (await caches.match(manifest.entries[i].key, { cacheName: COPY })) have += manifest.entries[i].size;
    }
    var need = Math.max(0, manifest.total_bytes - have);
    var free = Infinity;
    if (navigator.storage && navigator.storage.estimate) {
      var estimate = await navigator.storage.estimate();
      free = estimate.quota - estimate.usage;
    }
    var values = { size: human(manifest.total_bytes), free: free === Infinity ? '?' : human(free) };
    var message = text('Size', values);
    if (manifest.online_only.length) message += ' ' + text('OnlineOnly', { n: manifest.online_only.length });
    if (need > free) {
      say(message + ' ' + text('NoSpace', values));
      return;
    }
    say(message);
    start.textContent = text('Start', values);
    show(start, true);
  }

  async function download() {
    show(start, false);
    show(check, false);
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    await navigator.serviceWorker.register('/sw.js');
    var copy = await caches.open(COPY);
    var pieces = await caches.open(PIECES);
    var done = 0;
    bar.max = manifest.total_bytes;
    bar.value = 0;
    show(bar, true);
    var counted = function (bytes) {
      done += bytes;
      bar.value = done;
      say(text('Progress', { done: human(done), size: human(manifest.total_bytes) }));
    };
    try {
      for (var i = 0; i < manifest.entries.length; i++) {
        var entry = manifest.entries[i];
        if (await copy.match(entry.key)) { counted(entry.size); continue; }
        if (entry.kind === 'file') await downloadFile(copy, pieces, entry, counted);
        else await downloadWhole(copy, entry, counted);
      }
    } catch (e) {
      say(text('Interrupted'));
      start.textContent = text('Resume');
      show(start, true);
      return;
    }
    // What an older version left behind goes.
    var wanted = {};
    manifest.entries.forEach(function (e) { wanted[new URL(e.key, location.href).href] = true; });
    var old = (await copy.keys()).filter(function (req) { return !wanted[req.url]; });
    await Promise.all(old.map(function (req) { return copy.delete(req); }));
    await copy.put(RECORD, new Response(JSON.stringify({ version_id: manifest.version_id, bytes: manifest.total_bytes, at: Date.now() }), { headers: { 'Content-Type': 'application/json' } }));
    await announce();
    await refresh();
  }

  async function removeAll() {
    await caches.delete(COPY);
    await caches.delete(PIECES);
    await announce();
    await refresh();
    say(text('Removed'));
  }

  function guarded(task) {
    return function () {
      task().catch(function () { say(text('Interrupted')); show(check, true); });
    };
  }

  check.addEventListener('click', guarded(measure));
  start.addEventListener('click', guarded(download));
  remove.addEventListener('click', guarded(removeAll));
  box.hidden = false;
  refresh();
})();
