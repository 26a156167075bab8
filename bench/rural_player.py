#!/usr/bin/env python3
"""One measurement in headless Chromium for bench/rural.sh, run inside the slow network
namespace (`ip netns exec slow python3 bench/rural_player.py ...`).

It starts chromedriver and a fresh Chromium profile (cold caches, like a first visit),
injects a recorder into every new document before the page's own scripts run (CDP
Page.addScriptToEvaluateOnNewDocument through chromedriver), opens the URL and prints one
JSON line with what it measured. Only the Python standard library is used.

  --mode video   the lesson page's #player is muted and told to play at DOMContentLoaded;
                 first_frame_ms is from navigation start to the first video frame presented
                 (requestVideoFrameCallback), or to `playing` when no picture comes (audio
                 only); stalls are `waiting` events after playback started, counted for
                 --seconds of wall time; --seek then seeks to the middle and seek_ms is the
                 time until frames (or, audio only, currentTime) move again.
  --mode page    load_ms is navigation start to the load event (the HTML lesson's frame
                 included), measured cold and then once more warm.
  --quality KEY  stored as the page's remembered choice (courseware.video.quality) first.
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, time, urllib.request

RECORDER = r"""
(function () {
  if (window.__rural) return;
  var R = window.__rural = {events: [], playing: null, firstFrame: null, frameSize: null,
                            waiting: [], resumed: [], frames: 0, lastMedia: -1, seek: null, heights: {}};
  var quality = %QUALITY%;
  if (quality) { try { localStorage.setItem('courseware.video.quality', quality); } catch (e) {} }
  var now = function () { return Math.round(performance.now()); };
  ['loadedmetadata', 'loadeddata', 'canplay', 'playing', 'waiting', 'seeking', 'seeked', 'stalled', 'error'].forEach(function (name) {
    document.addEventListener(name, function (ev) {
      var v = ev.target;
      if (!v || v.id !== 'player') return;
      if (R.events.length < 400) R.events.push([name, now(), Math.round(v.currentTime * 1000) / 1000]);
      if (name === 'playing') {
        if (R.playing === null) R.playing = now(); else R.resumed.push(now());
      }
      if (name === 'waiting' && R.playing !== null) R.waiting.push(now());
      if (name === 'error') R.error = v.error ? (v.error.code + ' ' + v.error.message) : 'error';
    }, true);
  });
  function onFrame(v) {
    v.requestVideoFrameCallback(function (t, meta) {
      var at = now();
      R.frames++;
      if (R.firstFrame === null) { R.firstFrame = at; R.frameSize = meta.width + 'x' + meta.height; }
      R.heights[meta.height] = (R.heights[meta.height] || 0) + 1;
      var s = R.seek;
      if (s && s.frame === undefined && at >= s.start) s.frame = [at, meta.mediaTime];
      else if (s && s.frame && s.moving === undefined && meta.mediaTime > s.frame[1] + 0.01) s.moving = at;
      R.lastMedia = meta.mediaTime;
      onFrame(v);
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    var v = document.getElementById('player');
    if (!v || v.tagName !== 'VIDEO') return;
    v.muted = true;
    if (v.requestVideoFrameCallback) onFrame(v);
    var p = v.play();
    if (p && p.catch) p.catch(function (e) { R.playError = String(e); });
  });
})();
"""

STATE = r"""
var v = document.getElementById('player'), R = window.__rural || {};
return {playing: R.playing, firstFrame: R.firstFrame, frameSize: R.frameSize, waiting: R.waiting,
        resumed: R.resumed, frames: R.frames, heights: R.heights, seek: R.seek, error: R.error || null,
        playError: R.playError || null, events: R.events,
        currentTime: v ? v.currentTime : null, duration: v ? v.duration : null, paused: v ? v.paused : null,
        videoHeight: v ? v.videoHeight : null, src: v ? (v.currentSrc || '') : '',
        quality: v ? (v.dataset.quality || '') : '', qualityNow: (document.getElementById('quality-now') || {}).textContent || '',
        nativeHls: v ? v.canPlayType('application/vnd.apple.mpegurl') : '', now: Math.round(performance.now())};
"""


class Driver:
    def __init__(self, chromium, chromedriver):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        self.profile = tempfile.mkdtemp(prefix='rural-chromium-')
        self.proc = subprocess.Popen([chromedriver, '--port=%d' % port], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = 'http://127.0.0.1:%d' % port
        caps = {'capabilities': {'alwaysMatch': {'browserName': 'chrome', 'goog:chromeOptions': {
            'binary': chromium,
            'args': ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                     '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync',
                     '--autoplay-policy=no-user-gesture-required', '--mute-audio', '--window-size=1280,900',
                     '--user-data-dir=' + self.profile]},
            # The network log (CDP events) explains where the time went.
            'goog:loggingPrefs': {'performance': 'ALL'}}}}
        err = None
        for _ in range(100):
            try:
                self.session = self.post('/session', caps, session=False)['sessionId']
                return
            except OSError as e:
                err = e
                time.sleep(0.1)
        raise SystemExit('chromedriver did not answer: %s' % err)

    def post(self, path, body, session=True):
        url = self.base + ('/session/' + self.session if session else '') + path
        req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={'Content-Type': 'application/json'})
        with urllib.request.urlopen(req, timeout=300) as res:
            value = json.load(res)['value']
        if isinstance(value, dict) and value.get('error'):
            raise RuntimeError('webdriver %s: %s %s' % (path, value['error'], value.get('message', '')[:300]))
        return value

    def js(self, script):
        return self.post('/execute/sync', {'script': script, 'args': []})

    def close(self):
        try:
            req = urllib.request.Request(self.base + '/session/' + self.session, method='DELETE')
            urllib.request.urlopen(req, timeout=30).read()
        except Exception:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def requests(d, limit=60):
    """The requests so far from the performance log: [path tail, start, headers, end ms, bytes],
    times from the first document request."""
    entries = d.post('/se/log', {'type': 'performance'})
    reqs, order, zero = {}, [], None
    for e in entries:
        m = json.loads(e['message'])['message']
        p = m.get('params', {})
        rid = p.get('requestId')
        if m['method'] == 'Network.requestWillBeSent':
            if not p['request']['url'].startswith('http'):
                continue  # the new tab page's own resources
            t = p['timestamp'] * 1000
            if zero is None and p.get('type') == 'Document':
                zero = t
            if rid not in reqs:
                order.append(rid)
            url = p['request']['url'].split('?')[0]
            reqs[rid] = {'url': url.rsplit('/', 2)[-2][:12] + '/' + url.rsplit('/', 1)[-1] if url.count('/') > 3 else url, 'start': t}
        elif m['method'] == 'Network.responseReceived' and rid in reqs:
            reqs[rid]['headers'] = p['timestamp'] * 1000
            reqs[rid]['status'] = p['response'].get('status')
        elif m['method'] == 'Network.loadingFinished' and rid in reqs:
            reqs[rid]['end'] = p['timestamp'] * 1000
            reqs[rid]['bytes'] = p.get('encodedDataLength')
    if zero is None:  # a later batch: times from its first request
        zero = min((r['start'] for r in reqs.values()), default=0)
    rel = lambda v: None if v is None else round(v - zero)
    return [[r['url'], rel(r['start']), rel(r.get('headers')), rel(r.get('end')), r.get('bytes'), r.get('status')]
            for r in (reqs[i] for i in order[:limit])]


def navigation(d):
    return d.js("var n = performance.getEntriesByType('navigation')[0]; return n ? {load: Math.round(n.loadEventEnd), "
                "dcl: Math.round(n.domContentLoadedEventEnd), bytes: n.transferSize, status: n.responseStatus || 0} : null;")


def measure_page(d, url):
    out = {}
    for label in ('cold', 'warm'):
        d.post('/url', {'url': url})  # returns after the load event (pageLoadStrategy normal)
        nav = navigation(d)
        out[label + '_requests'] = requests(d)
        resources = d.js("return performance.getEntriesByType('resource').map(function (e) { return e.transferSize; });")
        out[label] = {'load_ms': nav['load'], 'dcl_ms': nav['dcl'], 'html_bytes': nav['bytes'],
                      'bytes': nav['bytes'] + sum(resources), 'requests': 1 + len(resources)}
    return {'load_ms': out['cold']['load_ms'], 'cold': out['cold'], 'warm': out['warm'],
            'cold_requests': out['cold_requests'], 'warm_requests': out['warm_requests']}


def measure_video(d, url, seconds, seek, first_frame_timeout=60):
    d.post('/url', {'url': url})
    start = time.monotonic()
    state = d.js(STATE)
    # Wait for playback to start (and the first frame, when there is a picture).
    while time.monotonic() - start < first_frame_timeout:
        state = d.js(STATE)
        if state['error'] or (state['playing'] is not None and (state['firstFrame'] is not None or state['videoHeight'] == 0)):
            break
        time.sleep(0.2)
    result = {'url': url, 'native_hls': state['nativeHls'], 'quality': state['quality'], 'quality_now': state['qualityNow'],
              'src': state['src'].split('?')[0][-60:]}
    if state['playing'] is None or state['error']:
        result.update(error=state['error'] or state['playError'] or 'no playback within %ds' % first_frame_timeout,
                      events=state['events'][-30:], requests=requests(d))
        return result
    first = state['firstFrame'] if state['firstFrame'] is not None else state['playing']
    result.update(first_frame_ms=first, playing_ms=state['playing'], first_frame_size=state['frameSize'],
                  timeline=state['events'][:12], requests=requests(d))
    playing_at = state['playing']
    # Watch the first `seconds` of playback (wall time from `playing`).
    heights = {}
    while True:
        state = d.js(STATE)
        heights[str(state['videoHeight'])] = heights.get(str(state['videoHeight']), 0) + 1
        if state['now'] >= playing_at + seconds * 1000:
            break
        time.sleep(min(1.0, max(0.05, (playing_at + seconds * 1000 - state['now']) / 1000)))
    end = playing_at + seconds * 1000
    waits = [w for w in state['waiting'] if w <= end]
    stalled = 0
    for w in waits:
        back = [r for r in state['resumed'] if r >= w]
        stalled += (min(back[0], end) if back else end) - w
    result.update(stalls_60s=len(waits), stalled_ms=stalled, played_s=round(state['currentTime'], 1),
                  watched_s=seconds, video_heights=heights, frames_by_height=state['heights'], duration_s=state['duration'])
    if seek:
        target = d.js("var v = document.getElementById('player'), R = window.__rural; var t = v.duration / 2;"
                      "R.seek = {start: Math.round(performance.now()), target: t};"
                      "v.addEventListener('seeked', function () { R.seek.seeked = Math.round(performance.now()); }, {once: true});"
                      "v.addEventListener('timeupdate', function tu() { if (R.seek.seeked && v.currentTime > t + 0.2 && !v.paused) {"
                      " R.seek.advancing = Math.round(performance.now()); v.removeEventListener('timeupdate', tu); } });"
                      "v.currentTime = t; return t;")
        t0 = time.monotonic()
        while time.monotonic() - t0 < 60:
            state = d.js(STATE)
            s = state['seek']
            if s.get('moving') or (state['videoHeight'] == 0 and s.get('advancing')):
                break
            time.sleep(0.1)
        s = state['seek']
        done = s.get('moving') or (s.get('advancing') if state['videoHeight'] == 0 else None)
        result.update(seek_to_s=round(target, 1), seek_ms=(done - s['start']) if done else None,
                      seeked_ms=(s['seeked'] - s['start']) if s.get('seeked') else None,
                      seek_requests=[r for r in requests(d, limit=400) if r[0] != 'static/favicon.svg'][-8:])
        if not done:
            result['seek_error'] = 'did not play again within 60 s'
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--url', required=True)
    ap.add_argument('--mode', choices=['video', 'page'], default='video')
    ap.add_argument('--seconds', type=int, default=60)
    ap.add_argument('--seek', action='store_true')
    ap.add_argument('--quality', default='')
    ap.add_argument('--chromium', default=os.environ.get('CHROMIUM', '/usr/bin/chromium'))
    ap.add_argument('--chromedriver', default=os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver'))
    args = ap.parse_args()
    d = Driver(args.chromium, args.chromedriver)
    try:
        d.post('/goog/cdp/execute', {'cmd': 'Page.addScriptToEvaluateOnNewDocument',
                                      'params': {'source': RECORDER.replace('%QUALITY%', json.dumps(args.quality or None))}})
        if args.mode == 'page':
            result = measure_page(d, args.url)
        else:
            result = measure_video(d, args.url, args.seconds, args.seek)
    finally:
        d.close()
    print(json.dumps(result), flush=True)


if __name__ == '__main__':
    sys.exit(main())
