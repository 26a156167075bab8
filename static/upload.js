// Resumable course-package upload over tus 1.0.0 (see src/uploads/). Attaches to
// <form id="upload-form" data-endpoint=... data-complete=...>; plain ES2017, no dependencies.
(function () {
  'use strict';

  var CHUNK = 8 * 1024 * 1024;
  var MAX_DELAY_S = 30;
  // Consecutive failures while online before giving up; offline waits do not count,
  // and a re-submit resumes where the upload stopped.
  var MAX_ATTEMPTS = 12;

  function UploadError(message, kind, problems) {
    this.message = message;
    this.kind = kind; // 'retry' (network, 5xx, 409), 'gone' (404/410) or 'fatal'
    this.problems = problems || [];
  }

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  function whenOnline() {
    return new Promise(function (resolve) {
      if (navigator.onLine) return resolve();
      window.addEventListener('online', function () { resolve(); }, { once: true });
    });
  }

  function formatBytes(n) {
    var units = ['B', 'KB', 'MB', 'GB', 'TB'];
    var i = 0;
    while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  // Upload-Metadata values are base64 of the UTF-8 bytes; btoa alone only takes Latin-1.
  function base64Utf8(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  // Turns a non-success status and its JSON body ({code, message, problems}) into an error.
  function statusError(status, bodyText) {
    var body = {};
    try { body = JSON.parse(bodyText) || {}; } catch (e) { /* not JSON: a proxy page */ }
    var message = body.message || ('HTTP ' + status);
    if (status === 0 || status >= 500 || status === 409 || status === 423) {
      return new UploadError(message, 'retry');
    }
    if (status === 404 || status === 410) return new UploadError(message, 'gone');
    return new UploadError(message, 'fatal', body.problems);
  }

  function Uploader(form) {
    this.form = form;
    this.endpoint = form.dataset.endpoint;
    this.completeUrl = form.dataset.complete;
    this.visibility = form.elements.visibility;
    this.csrf = form.elements.csrf_token ? form.elements.csrf_token.value : '';
    this.progress = document.getElementById('upload-progress');
    this.status = document.getElementById('upload-status');
    this.problems = document.getElementById('upload-problems');
    this.labels = {
      uploading: form.dataset.labelUploading || 'Uploading',
      retrying: form.dataset.labelRetrying || 'Connection lost, retrying',
      processing: form.dataset.labelProcessing || 'Processing',
      failed: form.dataset.labelFailed || 'Upload failed'
    };
  }

  Uploader.prototype.headers = function (extra) {
    var headers = { 'Tus-Resumable': '1.0.0', 'X-CSRF-Token': this.csrf };
    for (var key in extra) headers[key] = extra[key];
    return headers;
  };

  Uploader.prototype.show = function (done, total) {
    var pct = total > 0 ? (done / total) * 100 : 100;
    this.progress.value = pct;
    this.status.textContent = this.labels.uploading + ' ' + formatBytes(done) + ' / ' +
      formatBytes(total) + ' (' + pct.toFixed(1) + '%)';
  };

  // fetch that maps network failures and error statuses to UploadError.
  Uploader.prototype.request = async function (url, options) {
    var res;
    try {
      res = await fetch(url, Object.assign({ credentials: 'same-origin', cache: 'no-store' }, options));
    } catch (e) {
      throw new UploadError(e.message, 'retry');
    }
    if (!res.ok) throw statusError(res.status, await res.text());
    return res;
  };

  Uploader.prototype.create = async function (file) {
    var metadata = 'filename ' + base64Utf8(file.name) + ',filetype ' + base64Utf8(file.type || 'application/octet-stream');
    var res = await this.request(this.endpoint, {
      method: 'POST',
      headers: this.headers({ 'Upload-Length': String(file.size), 'Upload-Metadata': metadata })
    });
    return new URL(res.headers.get('Location'), window.location.href).href;
  };

  Uploader.prototype.head = async function (url, file) {
    var res = await this.request(url, { method: 'HEAD', headers: this.headers({}) });
    if (Number(res.headers.get('Upload-Length')) !== file.size) {
      throw new UploadError('upload length changed', 'gone');
    }
    return Number(res.headers.get('Upload-Offset'));
  };

  // One PATCH of up to CHUNK bytes; XHR because fetch reports no upload progress.
  Uploader.prototype.patch = function (url, file, offset) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('PATCH', url);
      var headers = self.headers({
        'Upload-Offset': String(offset),
        'Content-Type': 'application/offset+octet-stream'
      });
      for (var key in headers) xhr.setRequestHeader(key, headers[key]);
      xhr.upload.onprogress = function (e) { self.show(offset + e.loaded, file.size); };
      xhr.onload = function () {
        var next = Number(xhr.getResponseHeader('Upload-Offset'));
        if (xhr.status === 204 && next > offset) return resolve(next);
        // A 204 without progress is a confused proxy; re-learn the offset with HEAD.
        reject(xhr.status === 204 ? new UploadError('no progress', 'retry') : statusError(xhr.status, xhr.responseText));
      };
      xhr.onerror = xhr.ontimeout = xhr.onabort = function () {
        reject(new UploadError('network error', 'retry'));
      };
      xhr.send(file.slice(offset, Math.min(offset + CHUNK, file.size)));
    });
  };

  // Waits out a failure: exponential backoff, then for as long as the browser is offline.
  Uploader.prototype.pause = async function (attempt) {
    var delay = Math.min(MAX_DELAY_S, Math.pow(2, attempt - 1));
    this.status.textContent = this.labels.retrying + ' (' + delay + ' s)';
    await sleep(delay * 1000);
    if (!navigator.onLine) {
      this.status.textContent = this.labels.retrying;
      await whenOnline();
    }
  };

  // Sends every byte of `file`, resuming a stored upload; returns the upload URL.
  Uploader.prototype.send = async function (file, storeKey) {
    var url = localStorage.getItem(storeKey);
    var offset = null; // null: unknown, ask the server with HEAD
    var attempt = 0;
    var restarts = 0;
    for (;;) {
      try {
        if (!url) {
          url = await this.create(file);
          localStorage.setItem(storeKey, url);
          offset = 0;
        } else if (offset === null) {
          offset = await this.head(url, file);
        }
        this.show(offset, file.size);
        if (offset >= file.size) return url;
        offset = await this.patch(url, file, offset);
        attempt = 0;
      } catch (err) {
        // An expired or removed upload: start over once or twice, not forever.
        if (err.kind === 'gone' && restarts++ < 2) {
          localStorage.removeItem(storeKey);
          url = null;
          continue;
        }
        if (err.kind !== 'retry' || (navigator.onLine && ++attempt > MAX_ATTEMPTS)) throw err;
        offset = null;
        await this.pause(Math.max(attempt, 1));
      }
    }
  };

  Uploader.prototype.complete = async function (url) {
    this.status.textContent = this.labels.processing;
    var id = url.split('/').pop();
    var res = await this.request(this.completeUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': this.csrf },
      // An empty choice is left out: the server then applies its default.
      body: JSON.stringify(this.visibility && this.visibility.value ? { upload: id, visibility: this.visibility.value } : { upload: id })
    });
    var body = await res.json().catch(function () { return {}; });
    if (body.redirect) window.location.assign(body.redirect);
  };

  Uploader.prototype.fail = function (err) {
    this.status.textContent = this.labels.failed + ': ' + err.message;
    if (!this.problems) return;
    (err.problems || []).forEach(function (p) {
      var li = document.createElement('li');
      var where = [p.file, p.line].filter(function (x) { return x !== undefined && x !== null && x !== ''; });
      li.textContent = (where.length ? where.join(':') + ': ' : '') + p.message;
      this.problems.appendChild(li);
    }, this);
  };

  Uploader.prototype.run = async function (file) {
    if (this.problems) this.problems.textContent = '';
    var storeKey = 'tus-upload:' + file.name + ':' + file.size + ':' + file.lastModified;
    try {
      var url = await this.send(file, storeKey);
      await this.complete(url);
      localStorage.removeItem(storeKey);
    } catch (err) {
      // A refused package is used up; anything else can resume from the stored URL.
      if (err.kind === 'fatal' || err.kind === 'gone') localStorage.removeItem(storeKey);
      this.fail(err);
    }
  };

  function attach() {
    var form = document.getElementById('upload-form');
    if (!form) return;
    var uploader = new Uploader(form);
    var busy = false;
    form.addEventListener('submit', async function (event) {
      event.preventDefault();
      var file = form.elements.package.files[0];
      if (!file || busy) return;
      busy = true;
      var buttons = form.querySelectorAll('button, input[type=submit]');
      buttons.forEach(function (b) { b.disabled = true; });
      try {
        await uploader.run(file);
      } finally {
        busy = false;
        buttons.forEach(function (b) { b.disabled = false; });
      }
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', attach);
  else attach();
})();
