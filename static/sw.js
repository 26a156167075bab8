// The service worker (served as /sw.js, scope: the whole site): courses downloaded for
// offline study (static/offline.js) open without a network. See docs/offline.md.
//
// - Pages (course and lesson pages): the network first, so that progress, tokens and the
//   CSRF token are fresh; the stored copy when the network fails or has not answered in
//   NAV_TIMEOUT_MS.
// - Course files (/content/{version}/{token}/{path}): kept under the token-free key
//   /content/{version}/-/{path}, so a copy outlives its token; a downloaded file is served
//   from the device (with ranges, for video), any other goes to the server, which checks the
//   token of every request as always. A key is never a valid URL on the server.
// - Versioned static files: from a stored copy when there is one.
// - Everything else, and every request that is not a GET (heartbeats): untouched.
'use strict';

var NAV_TIMEOUT_MS = 4000;
var CONTENT = /^\/content\/(\d+)\/([^/]+)\/(.+)$/;

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });

// The token-free key of a course file's URL, or null for any other URL.
function contentKey(url) {
  var m = CONTENT.exec(url.pathname);
  return m ? '/content/' + m[1] + '/-/' + m[3] : null;
}

// Whether any course is kept on this device: null until known (the worker has just
// started), then kept up to date by offline.js's 'offline-changed' message. While none is,
// course files and pages are left to the browser, with no detour through this worker.
var haveCopies = null;

function copyNames() {
  return caches.keys().then(function (names) {
    var courses = names.filter(function (n) { return n.indexOf('cw-offline-course-') === 0; });
    haveCopies = courses.length > 0;
    return courses;
  });
}

// Learn at once, on start, whether a copy exists.
copyNames();

self.addEventListener('message', function (event) {
  if (event.data === 'offline-changed') event.waitUntil(copyNames());
});

// Only caches this site's downloads made (cw-offline-*), not a partial download's pieces.
function stored(key, options) {
  return copyNames().then(function (courses) {
    return courses.reduce(function (found, name) {
      return found.then(function (hit) {
        return hit || caches.open(name).then(function (c) { return c.match(key, options); });
      });
    }, Promise.resolve(undefined));
  });
}

// What the server puts on every response under /content/ (CONTENT_SANDBOX in
// src/routes/security_headers.rs): a stored file keeps it, whatever was stored with it.
var CONTENT_SANDBOX = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

function sandboxed(response) {
  var headers = new Headers(response.headers);
  headers.set('Content-Security-Policy', CONTENT_SANDBOX);
  headers.set('X-Content-Type-Options', 'nosniff');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers: headers });
}

// A stored whole file answered as the request asks: all of it, or the one range a media
// element asks for (206 with Content-Range), or 416.
function answer(request, stored) {
  var response = sandboxed(stored);
  var range = request.headers.get('Range');
  if (!range) return response;
  var m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  return response.blob().then(function (blob) {
    var size = blob.size;
    var start, end;
    if (!m || (m[1] === '' && m[2] === '')) {
      start = NaN;
    } else if (m[1] === '') {
      start = Math.max(0, size - Number(m[2]));
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    var headers = new Headers(response.headers);
    if (!(start <= end) || start >= size) {
      headers.set('Content-Range', 'bytes */' + size);
      return new Response(null, { status: 416, headers: headers });
    }
    headers.set('Content-Range', 'bytes ' + start + '-' + end + '/' + size);
    headers.set('Content-Length', String(end - start + 1));
    return new Response(blob.slice(start, end + 1), { status: 206, statusText: 'Partial Content', headers: headers });
  });
}

function timeout(ms) {
  return new Promise(function (_, reject) { setTimeout(function () { reject(new Error('timeout')); }, ms); });
}

// Network first; the stored copy when the network fails, is too slow, or says the server
// is in trouble.
function page(event, url) {
  var fromNetwork = fetch(event.request);
  fromNetwork.catch(function () {}); // answered from the store: its failure is no error
  return Promise.race([fromNetwork, timeout(NAV_TIMEOUT_MS)]).then(function (res) {
    if (res.status >= 500) throw new Error('HTTP ' + res.status);
    return res;
  }).catch(function () {
    return stored(url.pathname, { ignoreSearch: true }).then(function (hit) {
      if (hit) return hit;
      // Nothing stored: wait for the network after all (it may just be slow).
      return fromNetwork;
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  if (request.method !== 'GET') return;
  var url = new URL(request.url);
  // Until the worker knows there is a stored copy it stays out of the way entirely: a
  // navigation it answered while not knowing yet (network first) broke SCORM lessons'
  // launch and resume in Chromium (scorm_browser::*). The cost: the very first page of a
  // visit after the worker started (the device woke offline) is not answered from a copy;
  // the next one is.
  if (url.origin !== self.location.origin || url.pathname.indexOf('/api/') === 0 || haveCopies !== true) return;
  var key = contentKey(url);
  if (key) {
    event.respondWith(stored(key).then(function (hit) {
      return hit ? answer(request, hit) : fetch(request);
    }));
  } else if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(stored(url.pathname + url.search).then(function (hit) { return hit || fetch(request); }));
  } else if (request.mode === 'navigate' && /^\/courses\/\d+(\/lessons\/\d+)?$/.test(url.pathname)) {
    event.respondWith(page(event, url));
  }
});
