// The lesson page's video when renditions exist. Automatic: HLS, adapting to the link as
// it goes, played by the browser itself where it can, else by the vendored hls.js (loaded
// only then) where Media Source Extensions exist, else the progressive rendition that fits
// the measured throughput. The learner can choose instead (流畅/标清/高清/仅音频), which is
// remembered on this device. Switching keeps the position; progress.js tracks whichever
// plays.
(function () {
  var video = document.getElementById('player');
  var select = document.getElementById('quality');
  if (!video || !select || !video.dataset.choices) return;
  var choices = JSON.parse(video.dataset.choices);
  var hls = video.dataset.hls;
  var KEY = 'courseware.video.quality';
  var now = document.getElementById('quality-now');
  var nativeHls = !!video.canPlayType && video.canPlayType('application/vnd.apple.mpegurl') !== '';
  var hlsjsUrl = video.dataset.hlsjs;
  var mse = !!(window.MediaSource && MediaSource.isTypeSupported && MediaSource.isTypeSupported('video/mp4; codecs="avc1.4D401E,mp4a.40.2"'));
  var hlsjs = null;

  function saved() {
    try { return localStorage.getItem(KEY) || 'auto'; } catch (e) { return 'auto'; }
  }
  function remember(value) {
    try { localStorage.setItem(KEY, value); } catch (e) { /* private mode: this page only */ }
  }

  // Bits per second the link gave this page so far: the browser's estimate where it has
  // one, else this page's own transfers (the document, scripts, the poster).
  function throughput() {
    var c = navigator.connection;
    if (c && c.downlink) return c.downlink * 1e6;
    var bytes = 0, ms = 0;
    (performance.getEntriesByType ? performance.getEntriesByType('resource') : []).concat(
      performance.getEntriesByType ? performance.getEntriesByType('navigation') : []).forEach(function (e) {
      if (e.transferSize > 2000 && e.responseEnd > e.responseStart) {
        bytes += e.transferSize;
        ms += e.responseEnd - e.requestStart;
      }
    });
    return ms > 0 ? bytes * 8 / (ms / 1000) : 0;
  }

  // The best rendition that leaves a third of the link free; the smallest when unknown.
  function fitting() {
    var videoChoices = choices.filter(function (c) { return c.height > 0; });
    var bps = throughput();
    var pick = videoChoices[0] || choices[0];
    videoChoices.forEach(function (c) { if (bps && c.bandwidth <= bps * 0.66) pick = c; });
    return pick;
  }

  function sourceFor(value) {
    if (value === 'auto') {
      if (nativeHls) return { url: hls, label: select.options[0].text + ' · HLS' };
      if (mse && hlsjsUrl) return { hlsjs: true, label: select.options[0].text + ' · HLS' };
      var fit = fitting();
      return { url: fit.url, label: select.options[0].text + ' · ' + labelOf(fit.key) };
    }
    var chosen = choices.filter(function (c) { return c.key === value; })[0] || choices[0];
    return { url: chosen.url, label: labelOf(chosen.key) };
  }

  function labelOf(key) {
    for (var i = 0; i < select.options.length; i++) if (select.options[i].value === key) return select.options[i].text;
    return key;
  }

  // hls.js, loaded once; null when it cannot be (the caller falls back to a progressive file).
  function withHlsjs(done) {
    if (window.Hls) return done(window.Hls.isSupported() ? window.Hls : null);
    var s = document.createElement('script');
    s.src = hlsjsUrl;
    s.onload = function () { done(window.Hls && window.Hls.isSupported() ? window.Hls : null); };
    s.onerror = function () { done(null); };
    document.head.appendChild(s);
  }

  function attach(source) {
    if (hlsjs) { hlsjs.destroy(); hlsjs = null; }
    if (!source.hlsjs) {
      // The page's own <source> already loads the master playlist where HLS plays natively:
      // setting the same URL again would restart that load and lose its round trips.
      if (!(nativeHls && source.url === hls && video.currentSrc && !video.getAttribute('src'))) video.src = source.url;
      return;
    }
    withHlsjs(function (Hls) {
      if (!Hls) { mse = false; video.src = fitting().url; return; }
      hlsjs = new Hls({ capLevelToPlayerSize: true, startLevel: -1 });
      hlsjs.loadSource(hls);
      hlsjs.attachMedia(video);
    });
  }

  function play(value, keepPosition) {
    var source = sourceFor(value);
    var at = video.currentTime, wasPlaying = !video.paused;
    attach(source);
    video.dataset.quality = value;
    if (now) now.textContent = source.label;
    if (keepPosition && at > 0) {
      video.addEventListener('loadedmetadata', function () {
        video.currentTime = at;
        if (wasPlaying) video.play().catch(function () {});
      }, { once: true });
    }
  }

  // The strip of frames: built when the learner opens it, so a slow link loads the
  // picture only for those who want it; a frame seeks to its moment.
  var strip = document.getElementById('filmstrip');
  if (strip) {
    strip.addEventListener('toggle', function () {
      var frames = strip.querySelector('.frames');
      if (!strip.open || frames.childElementCount) return;
      var d = strip.dataset, w = +d.width, h = +d.height, cols = +d.columns, step = +d.interval;
      for (var i = 0; i < +d.count; i++) {
        var b = document.createElement('button');
        var t = Math.floor(i * step);
        b.type = 'button';
        b.className = 'frame';
        b.style.width = w + 'px';
        b.style.height = h + 'px';
        b.style.backgroundImage = 'url("' + d.url + '")';
        b.style.backgroundPosition = -(i % cols) * w + 'px ' + -Math.floor(i / cols) * h + 'px';
        b.dataset.time = t;
        b.textContent = Math.floor(t / 60) + ':' + ('0' + t % 60).slice(-2);
        b.addEventListener('click', function (e) {
          video.currentTime = +e.currentTarget.dataset.time;
          video.play().catch(function () {});
        });
        frames.appendChild(b);
      }
    });
  }

  // A rendition kept on the device for offline study (offline.js) plays from there, with
  // or without a network: its bytes are already paid for. Kept under the token-free key.
  function downloaded() {
    if (!window.caches) return Promise.resolve(null);
    var found = choices.map(function (c) {
      var key = c.url.replace(/^(\/content\/\d+\/)[^/]+\//, '$1-/');
      return caches.match(key).then(function (hit) { return hit ? c : null; }, function () { return null; });
    });
    return Promise.all(found).then(function (hits) { return hits.filter(Boolean)[0] || null; });
  }

  var start = saved();
  if (start !== 'auto' && !choices.some(function (c) { return c.key === start; })) start = 'auto';
  downloaded().then(function (kept) {
    if (kept) start = kept.key;
    select.value = start;
    play(start, false);
  });
  select.addEventListener('change', function () {
    remember(select.value);
    play(select.value, true);
  });
})();
