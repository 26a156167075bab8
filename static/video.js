// The lesson page's video when renditions exist: plays HLS where the browser does it
// itself (adaptive by the browser), otherwise the progressive rendition that fits the
// measured throughput, and lets the learner choose (流畅/标清/高清/仅音频), remembered on
// this device. Switching keeps the position; progress.js tracks whichever plays.
(function () {
  var video = document.getElementById('player');
  var select = document.getElementById('quality');
  if (!video || !select || !video.dataset.choices) return;
  var choices = JSON.parse(video.dataset.choices);
  var hls = video.dataset.hls;
  var KEY = 'courseware.video.quality';
  var now = document.getElementById('quality-now');
  var nativeHls = !!video.canPlayType && video.canPlayType('application/vnd.apple.mpegurl') !== '';

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

  function play(value, keepPosition) {
    var source = sourceFor(value);
    var at = video.currentTime, wasPlaying = !video.paused;
    // The page's own <source> already loads the master playlist where HLS plays natively:
    // setting the same URL again would restart that load and lose its round trips.
    if (!(nativeHls && source.url === hls && video.currentSrc && !video.getAttribute('src'))) video.src = source.url;
    video.dataset.quality = value;
    if (now) now.textContent = source.label;
    if (keepPosition && at > 0) {
      video.addEventListener('loadedmetadata', function () {
        video.currentTime = at;
        if (wasPlaying) video.play().catch(function () {});
      }, { once: true });
    }
  }

  var start = saved();
  if (start !== 'auto' && !choices.some(function (c) { return c.key === start; })) start = 'auto';
  select.value = start;
  play(start, false);
  select.addEventListener('change', function () {
    remember(select.value);
    play(select.value, true);
  });
})();
