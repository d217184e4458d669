/*! drtroy-tracker 1.0.0 - hand-written, no dependencies, ES2017. API and snippet: docs/tracker.md */
(function (w, d) {
  'use strict';
  var VER = '1.0.0', NS = 'drtroy_', N = navigator, L = location, H = history, now = Date.now;
  var A = w.drtroy, script = d.currentScript || d.querySelector('script[data-write-key]');
  if (A && A._v) return; // already loaded
  if (!Array.isArray(A)) A = w.drtroy = [];
  // never throw into the host page
  var safe = f => function () { try { return f.apply(this, arguments) } catch (e) {} };

  try {
    // ---- storage: localStorage as JSON, falling back to memory when blocked or full
    var mem = {};
    var get = k => { try { var v = localStorage.getItem(NS + k); if (v != null) return JSON.parse(v) } catch (e) {} return mem[k] };
    var set = (k, v) => {
      mem[k] = v;
      try { localStorage.setItem(NS + k, JSON.stringify(v)) } catch (e) { try { localStorage.removeItem(NS + k) } catch (e) {} }
    };
    var uuid = () => {
      try { return crypto.randomUUID() } catch (e) {
        return ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, c => (c ^ crypto.getRandomValues(new Uint8Array(1))[0] & 15 >> c / 4).toString(16));
      }
    };

    // ---- configuration: drtroy.load(key, {host}) queued by the snippet, or the script tag's data-*
    var pending = A.splice(0), key, opts = {};
    pending = pending.filter(a => a[0] != 'load' || (key = a[1], opts = a[2] || {}, 0));
    var ds = script ? script.dataset : {};
    key = key || ds.writeKey;
    var host = (opts.host || ds.host || script && script.src && new URL(script.src).origin || '').replace(/\/+$/, '');
    if (!key || !host) return;

    var off = () => get('optout') || N.doNotTrack == '1' || w.doNotTrack == '1';

    // ---- identity and session (renewed after 30 minutes idle)
    var aid = () => get('aid') || (set('aid', uuid()), get('aid'));
    var sid = () => {
      var s = get('sid') || {}, t = now();
      if (!s.id || t - s.t > 18e5) s = { id: uuid() };
      s.t = t; set('sid', s); return s.id;
    };

    // ---- context
    var ref = d.referrer; // the referrer of the next page view: the previous URL after an SPA navigation
    var pageInfo = () => ({ path: L.pathname, referrer: ref, search: L.search, title: d.title, url: L.href.split('#')[0] });
    var first = pageInfo(); // Web Vitals belong to the page that was loaded
    var campaign = () => {
      var q = new URLSearchParams(L.search), c = {}, n = 0;
      'source medium name term content'.split(' ').forEach(k => {
        var v = q.get('utm_' + (k == 'name' ? 'campaign' : k)); if (v) c[k] = v, n++;
      });
      return n ? c : undefined;
    };
    var tz; try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone } catch (e) {}

    var msg = (type, extra, page) => {
      if (off()) return;
      var m = Object.assign({
        type, messageId: uuid(), anonymousId: aid(), userId: get('uid') || undefined,
        timestamp: new Date().toISOString(),
        context: {
          page: page || pageInfo(), campaign: campaign(), userAgent: N.userAgent, locale: N.language, timezone: tz,
          screen: { width: screen.width, height: screen.height },
          library: { name: 'drtroy-tracker', version: VER }, session_id: sid()
        }
      }, extra), s = JSON.stringify(m); // a snapshot: throws on cycles, so they never reach the queue
      if (s.length < 32e3) enqueue(JSON.parse(s));
    };

    // ---- queue (in localStorage, shared by tabs; the collector dedups by messageId) and delivery
    var timer, busy = 0, fails = 0, until = 0, lim = 20, fl = {}; // fl: messageId -> time sent, while in flight
    var Q = () => get('q') || [];
    var enqueue = m => { var q = Q(); q.push(m); set('q', q.slice(-1000)); schedule(q.length < 20 && 1e3) };
    var schedule = ms => {
      if (timer && ms) return;
      clearTimeout(timer); timer = setTimeout(safe(flush), Math.max(ms, until - now()));
    };
    var drop = ids => set('q', Q().filter(m => ids.indexOf(m.messageId) < 0));

    function flush(hide) {
      timer = 0;
      var t = now(), b = [], size = 0, q = Q().filter(m => !(t - fl[m.messageId] < 15e3));
      if (!q.length || off()) return;
      if (!hide && (t - busy < 15e3 || t < until)) return schedule(1e3);
      for (var m of q) {
        var n = JSON.stringify(m).length;
        // identify travels alone: a browser key may be refused for it (403) without losing neighbours
        if (b.length && (b.length >= lim || size + n > 5e4 || m.type == 'identify' || b[0].type == 'identify')) break;
        b.push(m); size += n;
      }
      var ids = b.map(m => (fl[m.messageId] = t, m.messageId));
      var body = JSON.stringify({ writeKey: key, sentAt: new Date().toISOString(), batch: b });
      var done = () => { ids.forEach(i => delete fl[i]); if (!hide) busy = 0 };
      var retry = ra => {
        fails++;
        until = now() + Math.max(ra * 1e3 || 0, Math.min(6e4, 1e3 * 2 ** fails) * (.5 + Math.random() / 2));
        schedule(1);
      };
      if (!hide) busy = t;
      fetch(host + '/v1/batch', {
        method: 'POST', body, keepalive: body.length < 6e4, credentials: 'omit', headers: { 'Content-Type': 'text/plain' }
      }).then(safe(r => {
        var s = r.status;
        done();
        if (s == 429 || s == 408 || s >= 500) return retry(+r.headers.get('Retry-After'));
        if (s == 413 && b.length > 1) lim = b.length >> 1; // too large: retry in smaller batches
        else drop(ids), fails = 0; // 2xx, or a 4xx that would never succeed
        if (Q().length) schedule(1);
      }), safe(() => { done(); retry() })); // network error: keep, retry with backoff
    }

    // ---- public API
    var last;
    var page = (name, props) => {
      if (typeof name == 'object') props = name, name = 0;
      var k = L.pathname + L.search;
      if (k == last) return; // same path+search twice in a row is one view
      last = k;
      msg('page', { name: name || d.title, properties: Object.assign(pageInfo(), props) });
      ref = L.href.split('#')[0];
    };
    var track = (event, props) => event && msg('track', { event: '' + event, properties: Object.assign({}, props) });
    var identify = (uid, traits) => {
      if (uid && typeof uid == 'object') traits = uid, uid = null; // identify(traits)
      if (off()) return;
      if (uid != null && uid !== '') set('uid', '' + uid); // kept locally even if the collector refuses the call
      msg('identify', { traits: Object.assign({}, traits) });
    };
    var api = {
      track, page, identify,
      reset: () => { set('uid', null); set('aid', null); set('sid', null) },
      optOut: () => { set('optout', 1); 'q aid uid sid'.split(' ').forEach(k => set(k, null)) },
      optIn: () => set('optout', 0),
      flush: () => flush(),
      load: () => {}
    };
    for (var f in api) A[f] = safe(api[f]);
    A._v = VER;
    A.push = safe(a => A[a[0]] && A[a[0]].apply(A, [].slice.call(a, 1)));
    pending.forEach(A.push); // calls made before the script loaded

    // ---- page views, including SPA navigation
    var auto = safe(() => page());
    auto();
    ['pushState', 'replaceState'].forEach(f => {
      var o = H[f];
      if (o) H[f] = function () { var r = o.apply(this, arguments); setTimeout(auto, 100); return r };
    });
    w.addEventListener('popstate', () => setTimeout(auto, 100));

    // ---- Web Vitals and load time, sent once per page load, when the page is first hidden
    var vit = {}, obs = [], sw = 0, sf, sl, ints = {}, sent;
    var po = (type, cb, o) => {
      try {
        var p = new PerformanceObserver(l => l.getEntries().forEach(cb));
        p.observe(Object.assign({ type, buffered: true }, o)); obs.push([p, cb]);
      } catch (e) {}
    };
    po('paint', e => { if (e.name == 'first-contentful-paint') vit.fcp_ms = e.startTime });
    po('largest-contentful-paint', e => { vit.lcp_ms = e.startTime });
    po('layout-shift', e => { // CLS: the largest session window (shifts < 1 s apart, window < 5 s)
      if (e.hadRecentInput) return;
      var t = e.startTime;
      if (sw && t - sl < 1e3 && t - sf < 5e3) sw += e.value; else sw = e.value, sf = t;
      sl = t; vit.cls = Math.max(vit.cls || 0, sw);
    });
    var inp = e => { var i = e.interactionId; if (i) ints[i] = Math.max(ints[i] || 0, e.duration) };
    po('event', inp, { durationThreshold: 16 });
    po('first-input', inp);
    var vitals = () => {
      if (sent) return; sent = 1;
      obs.forEach(o => o[0].takeRecords().forEach(o[1]));
      var n = performance.getEntriesByType('navigation')[0], p = {}, v = Object.values(ints).sort((a, b) => b - a);
      if (n) { vit.ttfb_ms = Math.max(0, n.responseStart - (n.activationStart || 0)); if (n.loadEventEnd) vit.load_ms = n.loadEventEnd }
      if (v.length) vit.inp_ms = v[Math.min(v.length - 1, v.length / 50 | 0)]; // ~p98: one outlier ignored per 50
      for (var k in vit) if (vit[k] >= 0) p[k] = k == 'cls' ? +vit[k].toFixed(4) : Math.round(vit[k]);
      if (Object.keys(p).length) msg('track', { event: 'Web Vitals', properties: p }, first);
    };
    var hidden = safe(() => { vitals(); flush(1) });
    d.addEventListener('visibilitychange', () => d.visibilityState == 'hidden' && hidden());
    w.addEventListener('pagehide', hidden);
    w.addEventListener('online', safe(() => { until = 0; schedule(1) }));

    // ---- JS errors and unhandled rejections: de-duplicated, at most 10 at once then 1 a minute
    var seen = {}, tok = 10, tt = now();
    var err = (message, source, line, column, stack) => {
      var k = [message, source, line, column].join('|'), t = now();
      tok = Math.min(10, tok + (t - tt) / 6e4); tt = t;
      if (seen[k] || tok < 1) return;
      seen[k] = 1; tok--;
      track('JS Error', {
        message: ('' + (message || 'Error')).slice(0, 500), source: source && ('' + source).slice(0, 500),
        line, column, stack: stack && ('' + stack).slice(0, 2000)
      });
    };
    w.addEventListener('error', safe(e => e instanceof ErrorEvent && err(e.message, e.filename, e.lineno, e.colno, e.error && e.error.stack)));
    w.addEventListener('unhandledrejection', safe(e => {
      var r = e.reason;
      err('Unhandled rejection: ' + (r && r.message || r), undefined, undefined, undefined, r && r.stack);
    }));

    // ---- outbound links and file downloads
    var DL = /\.(pdf|zip|rar|7z|gz|tgz|dmg|exe|msi|docx?|xlsx?|pptx?|csv|txt|rtf|odt|ods|odp|epub|mp3|mp4|mov|avi|wav)$/i;
    var click = safe(e => {
      var a = e.target.closest && e.target.closest('a[href]');
      if (!a || e.type == 'auxclick' && e.button != 1) return;
      var u = new URL(a.getAttribute('href'), L.href);
      if (!/^https?:$/.test(u.protocol)) return;
      if (a.hasAttribute('download') || DL.test(u.pathname)) track('File Downloaded', { url: u.href });
      else if (u.host != L.host) track('Outbound Link Clicked', { url: u.href });
    });
    d.addEventListener('click', click, true);
    d.addEventListener('auxclick', click, true);
  } catch (e) {}
})(window, document);
