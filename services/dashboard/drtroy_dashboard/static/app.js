// The built-in dashboard: one page, six views, everything from the read API
// (GET /api/v1/metrics lists the metrics; each answer has value/values/rows).
// Charts are hand-written SVG. No third-party code, nothing from the network
// but this server.
//
// The panels are driven by the catalog: a panel whose metric the catalog does
// not list says so instead of failing; parameters the metric does not declare
// are not sent; the row keys a chart uses are taken from the panel's options
// when it names them, otherwise found from the rows (a time-like key for the
// x axis, the first text key for labels, numeric keys for values).
//
// Buyer filters (profession, license state) sit in the header and live in the
// URL hash like the period. They are sent only to the metrics whose catalog
// entry declares them (the order metrics); every panel of such a metric wears
// a "filtered: PT · TX" badge, so a filtered figure is never mistaken for the
// whole school's. Panels of other metrics keep showing everyone.
'use strict';
(function () {
  const API = '/api/v1';
  const LIVE_EVERY_MS = 3000;
  const SVGNS = 'http://www.w3.org/2000/svg';
  const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#8b5cf6', '#ef4444', '#06b6d4', '#84cc16', '#ec4899'];
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

  // ---- DOM helpers ---------------------------------------------------------
  function setAttrs(n, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'text') n.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : String(v));
    }
  }
  function append(n, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k == null || k === false) continue;
      n.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
  }
  function h(tag, attrs, ...kids) { const n = document.createElement(tag); setAttrs(n, attrs); append(n, kids); return n; }
  function s(tag, attrs, ...kids) { const n = document.createElementNS(SVGNS, tag); setAttrs(n, attrs); append(n, kids); return n; }

  // ---- formatting ----------------------------------------------------------
  // The kind of a figure follows from its catalog key (metrics.md's words):
  // first match wins, so counts like `refunded_orders` stay counts.
  const KIND_RULES = [
    [/(^|_)roi$/, 'times'],
    [/(^|_)(change|growth)|_vs_|^vs_/, 'delta'],
    [/(^|_)(rate|share|fraction|ratio|conversion|margin|uptime|retention|percent|pct|success)(_|$)|^m\d+$/, 'pct'],
    [/(^|_)(orders|count|visitors|sessions|views|customers|users|events|checks|incidents|tickets|responses|searches|enrollments|starts|completions|completed|started|dropped|reached|signups|errors|pairs|lag|hits|size)$/, 'int'],
    [/revenue|refund|aov|ltv|cac|amount|discount|expense|cash|spend|cost|price|per_customer|profit|income/, 'money'],
    [/_ms$|latency|lcp|load_/, 'ms'],
    [/hours/, 'hours'],
    [/duration|_s$|seconds/, 'secs'],
  ];
  function kindOf(key) {
    const k = String(key || '').toLowerCase();
    for (const [re, kind] of KIND_RULES) if (re.test(k)) return kind;
    return 'num';
  }
  const nf0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const nf2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const money0 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 });
  const money2 = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function fmt(key, v, kind) {
    if (v == null) return '—';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'string' && TIME_RE.test(v)) return v.length > 10 ? v.replace('T', ' ').slice(0, 16) : shortDate(v);
    if (typeof v !== 'number') return Array.isArray(v) ? v.map((x) => fmt(key, x, kind)).join(', ') : String(v);
    switch (kind || kindOf(key)) {
      case 'pct': return (v * 100).toFixed(Math.abs(v) < 0.1 ? 2 : 1) + '%';
      case 'delta': return (v > 0 ? '+' : '') + (v * 100).toFixed(1) + '%';
      case 'money': return Math.abs(v) >= 1000 ? money0.format(v) : money2.format(v);
      case 'ms': return nf0.format(v) + ' ms';
      case 'hours': return v.toFixed(1) + ' h';
      case 'secs': return v >= 90 ? (v / 60).toFixed(1) + ' min' : v.toFixed(0) + ' s';
      case 'times': return v.toFixed(2) + '×';
      case 'int': return nf0.format(v);
      default: return Number.isInteger(v) ? nf0.format(v) : nf2.format(v);
    }
  }
  function fmtShort(kind, v) {
    if (kind === 'pct' || kind === 'delta') return (v * 100).toFixed(Math.abs(v) < 0.1 && v !== 0 ? 1 : 0) + '%';
    const a = Math.abs(v);
    const n = a >= 1e6 ? (v / 1e6).toFixed(1) + 'M' : a >= 1e3 ? (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + 'k' : nf2.format(v);
    if (kind === 'money') return (v < 0 ? '-$' : '$') + n.replace('-', '');
    return kind === 'ms' ? n + 'ms' : n;
  }
  function pretty(key) {
    const t = String(key).replace(/_/g, ' ').trim();
    return t.charAt(0).toUpperCase() + t.slice(1);
  }
  function shortDate(v) {
    const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(String(v));
    if (!m) return String(v);
    const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][Number(m[2]) - 1];
    if (m[4] != null && !(m[4] === '00' && m[5] === '00')) return `${m[4]}:${m[5]}${m[6] && m[6] !== '00' ? ':' + m[6] : ''}`;
    if (m[3] == null || (m[3] === '01' && /^\d{4}-\d{2}(-01)?$/.test(String(v)))) return `${mon} ${m[1]}`;
    return `${mon} ${Number(m[3])}`;
  }

  // ---- row inspection --------------------------------------------------------
  const TIME_RE = /^\d{4}-\d{2}(-\d{2})?([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?$/;
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
  function keysOf(rows) {
    const keys = [];
    for (const r of rows.slice(0, 20)) for (const k of Object.keys(r)) if (!keys.includes(k)) keys.push(k);
    return keys;
  }
  function timeKey(rows) {
    const keys = keysOf(rows);
    const preferred = ['period', 'day', 'date', 'week', 'month', 'bucket', 'minute', 'second', 'time', 'ts'];
    for (const p of preferred) if (keys.includes(p) && rows.every((r) => r[p] == null || TIME_RE.test(String(r[p])))) return p;
    return keys.find((k) => rows.every((r) => typeof r[k] === 'string' && TIME_RE.test(r[k]))) || null;
  }
  function numericKeys(rows, exclude) {
    return keysOf(rows).filter((k) => !(exclude || []).includes(k)
      && rows.some((r) => isNum(r[k])) && rows.every((r) => r[k] == null || isNum(r[k])));
  }
  function labelKey(rows, exclude) {
    return keysOf(rows).find((k) => !(exclude || []).includes(k) && rows.some((r) => typeof r[k] === 'string')) || null;
  }
  function pickKey(rows, wanted, fallback) {
    const keys = keysOf(rows);
    for (const w of [].concat(wanted || [])) if (keys.includes(w)) return w;
    return fallback;
  }

  // ---- charts (data -> SVG) ----------------------------------------------------
  function niceTicks(min, max, count) {
    if (!(max > min)) max = min + 1;
    const raw = (max - min) / count;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((st) => st >= raw) || raw;
    const lo = Math.floor(min / step) * step, hi = Math.ceil(max / step) * step;
    const out = [];
    for (let v = lo; v <= hi + step / 2; v += step) out.push(Math.round(v * 1e9) / 1e9);
    return out;
  }
  function legend(keys) {
    return h('div', { class: 'legend' }, keys.map((k, i) => h('span', {}, h('i', { style: `background:${COLORS[i % COLORS.length]}` }), pretty(k))));
  }

  // Time series: x from a time-like key, one line per numeric key of one kind.
  function lineChart(rows, opts) {
    opts = opts || {};
    const xKey = opts.x || timeKey(rows);
    if (!xKey || !rows.length) return null;
    let keys = (opts.keys ? opts.keys.filter((k) => rows.some((r) => isNum(r[k]))) : numericKeys(rows, [xKey]));
    if (!keys.length) return null;
    const kind = kindOf(keys[0]);
    if (!opts.keys) keys = keys.filter((k) => kindOf(k) === kind).slice(0, 5);
    const data = rows.filter((r) => r[xKey] != null).slice().sort((a, b) => String(a[xKey]).localeCompare(String(b[xKey])));
    const W = opts.width || 640, H = opts.height || 220, L = 52, R = 14, T = 10, B = 26;
    let min = 0, max = 0;
    for (const r of data) for (const k of keys) if (isNum(r[k])) { min = Math.min(min, r[k]); max = Math.max(max, r[k]); }
    const ticks = niceTicks(min, max, 4);
    min = ticks[0]; max = ticks[ticks.length - 1];
    const n = data.length;
    const X = (i) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
    const Y = (v) => T + (H - T - B) * (1 - (v - min) / (max - min || 1));
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart line', role: 'img', 'aria-label': keys.map(pretty).join(', ') + ' over time' });
    for (const t of ticks) {
      svg.append(s('line', { class: 'gridline', x1: L, x2: W - R, y1: Y(t), y2: Y(t) }));
      svg.append(s('text', { x: L - 6, y: Y(t) + 4, 'text-anchor': 'end', text: fmtShort(kind, t) }));
    }
    svg.append(s('line', { class: 'axis', x1: L, x2: W - R, y1: Y(Math.max(min, Math.min(0, max))), y2: Y(Math.max(min, Math.min(0, max))) }));
    const labels = Math.min(n, 6);
    for (let j = 0; j < labels; j++) {
      const i = labels === 1 ? 0 : Math.round((j * (n - 1)) / (labels - 1));
      svg.append(s('text', { x: X(i), y: H - 8, 'text-anchor': labels === 1 ? 'middle' : j === 0 ? 'start' : j === labels - 1 ? 'end' : 'middle', text: shortDate(data[i][xKey]) }));
    }
    keys.forEach((k, ki) => {
      const color = COLORS[ki % COLORS.length];
      const pts = data.map((r, i) => [i, r[k]]).filter(([, v]) => isNum(v));
      if (pts.length > 1) {
        const d = pts.map(([i, v], j) => `${j ? 'L' : 'M'}${X(i).toFixed(1)},${Y(v).toFixed(1)}`).join('');
        if (keys.length === 1) svg.append(s('path', { d: `${d}L${X(pts[pts.length - 1][0]).toFixed(1)},${Y(Math.max(min, 0))}L${X(pts[0][0]).toFixed(1)},${Y(Math.max(min, 0))}Z`, fill: color, 'fill-opacity': 0.08 }));
        svg.append(s('path', { d, fill: 'none', stroke: color, 'stroke-width': 2, 'stroke-linejoin': 'round' }));
      }
      if (pts.length <= 60) {
        for (const [i, v] of pts) {
          svg.append(s('circle', { cx: X(i), cy: Y(v), r: pts.length > 31 ? 2 : 3, fill: color },
            s('title', { text: `${shortDate(data[i][xKey])} · ${pretty(k)}: ${fmt(k, v)}` })));
        }
      }
    });
    return h('div', { class: 'chartwrap' }, keys.length > 1 || opts.legend ? legend(keys) : null, svg);
  }

  // Horizontal bars: one per row, sorted by value unless the rows have an order of their own.
  function barChart(rows, opts) {
    opts = opts || {};
    const lKey = opts.label || labelKey(rows) || keysOf(rows)[0];
    const vKey = opts.value || numericKeys(rows, [lKey]).find((k) => kindOf(k) !== 'pct') || numericKeys(rows, [lKey])[0];
    if (!lKey || !vKey) return null;
    let data = rows.filter((r) => isNum(r[vKey]));
    if (!opts.keepOrder) data = data.slice().sort((a, b) => b[vKey] - a[vKey]);
    const limit = opts.limit || 12;
    const rest = data.length - limit;
    data = data.slice(0, limit);
    if (!data.length) return null;
    const over = opts.overlay;
    const W = opts.width || 640, rowH = 24, labelW = 180, valueW = over ? 150 : 90;
    const H = data.length * rowH + 4;
    const maxV = Math.max(...data.map((r) => Math.abs(r[vKey])), 1e-9);
    const barW = W - labelW - valueW - 10;
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart bars', role: 'img', 'aria-label': `${pretty(vKey)} by ${pretty(lKey)}` });
    data.forEach((r, i) => {
      const y = i * rowH + 2;
      const label = opts.labelFmt ? opts.labelFmt(r[lKey], r) : r[lKey] == null || r[lKey] === '' ? '(none)' : String(r[lKey]);
      const w = Math.max(1, (Math.abs(r[vKey]) / maxV) * barW);
      svg.append(s('text', { x: labelW - 8, y: y + 15, 'text-anchor': 'end', text: label.length > 25 ? label.slice(0, 24) + '…' : label }, s('title', { text: label })));
      svg.append(s('rect', { x: labelW, y: y + 3, width: w, height: rowH - 8, rx: 3, fill: over ? '#bfdbfe' : COLORS[0] },
        s('title', { text: `${label}: ${fmt(vKey, r[vKey])}` })));
      let text = fmt(vKey, r[vKey]);
      if (over && isNum(r[over])) {
        const ow = Math.max(r[over] ? 1 : 0, (Math.abs(r[over]) / maxV) * barW);
        svg.append(s('rect', { x: labelW, y: y + 3, width: ow, height: rowH - 8, rx: 3, fill: COLORS[4] },
          s('title', { text: `${label}: ${pretty(over)} ${fmt(over, r[over])}` })));
        text = `${fmt(vKey, r[vKey])} · ${fmt(over, r[over])} ${opts.overlayWord || pretty(over).toLowerCase()}`;
      }
      svg.append(s('text', { class: 'val', x: labelW + w + 6, y: y + 15, text }));
    });
    return h('div', { class: 'chartwrap' },
      over ? h('div', { class: 'legend' },
        h('span', {}, h('i', { style: 'background:#bfdbfe' }), pretty(vKey)),
        h('span', {}, h('i', { style: `background:${COLORS[4]}` }), pretty(over))) : null,
      svg, rest > 0 ? h('div', { class: 'sub' }, `… and ${rest} more`) : null);
  }

  // Funnel: steps in their order, width by count, with step and overall conversion.
  function funnelChart(rows, opts) {
    opts = opts || {};
    const lKey = opts.label || pickKey(rows, ['event', 'name', 'step'], labelKey(rows));
    const vKey = opts.value || pickKey(rows, ['visitors', 'users', 'count', 'reached'], numericKeys(rows, [lKey]).find((k) => kindOf(k) === 'int'));
    if (!lKey || !vKey || !rows.length) return null;
    const first = rows[0][vKey] || 0;
    const W = opts.width || 420, rowH = 50, H = rows.length * rowH;
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart funnel', role: 'img', 'aria-label': 'funnel' });
    rows.forEach((r, i) => {
      const v = r[vKey] || 0;
      const w = Math.max(2, first ? (v / first) * W : 0);
      const y = i * rowH;
      const prev = i ? rows[i - 1][vKey] : null;
      svg.append(s('text', { x: 0, y: y + 13, class: 'val', text: `${r[lKey]} · ${fmt(vKey, v)}` }));
      svg.append(s('text', { x: W, y: y + 13, 'text-anchor': 'end', text: i ? `${fmt('rate', prev ? v / prev : null)} of previous · ${fmt('rate', first ? v / first : null)} overall` : 'first step' }));
      svg.append(s('rect', { x: (W - w) / 2, y: y + 18, width: w, height: rowH - 24, rx: 4, fill: COLORS[0], 'fill-opacity': Math.max(0.35, 1 - i * 0.15) },
        s('title', { text: `${r[lKey]}: ${fmt(vKey, v)}` })));
    });
    return svg;
  }

  // Weekday x hour heatmap (ISO weekday 1 = Monday, hours 0-23 in the reporting zone).
  function heatmap(rows, opts) {
    opts = opts || {};
    const dKey = pickKey(rows, ['weekday', 'iso_weekday', 'day_of_week', 'dow'], null);
    const hKey = pickKey(rows, ['hour', 'hour_of_day'], null);
    const vKey = opts.value && keysOf(rows).includes(opts.value) ? opts.value : numericKeys(rows, [dKey, hKey])[0];
    if (!dKey || !hKey || !vKey) return null;
    const grid = new Map();
    let max = 0;
    for (const r of rows) {
      const v = Number(r[vKey]) || 0;
      grid.set(`${r[dKey]}:${r[hKey]}`, v);
      max = Math.max(max, v);
    }
    const cw = 24, ch = 20, L = 36, T = 16;
    const W = L + 24 * cw + 4, H = T + 7 * ch + 4;
    const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart heatmap', role: 'img', 'aria-label': `${pretty(vKey)} by weekday and hour` });
    for (let hr = 0; hr < 24; hr += 3) svg.append(s('text', { x: L + hr * cw + cw / 2, y: 11, 'text-anchor': 'middle', text: `${hr}h` }));
    for (let d = 1; d <= 7; d++) {
      svg.append(s('text', { x: L - 6, y: T + (d - 1) * ch + 14, 'text-anchor': 'end', text: WEEKDAYS[d - 1] }));
      for (let hr = 0; hr < 24; hr++) {
        const v = grid.get(`${d}:${hr}`) || 0;
        const t = max ? v / max : 0;
        svg.append(s('rect', { x: L + hr * cw + 1, y: T + (d - 1) * ch + 1, width: cw - 2, height: ch - 2, rx: 3, fill: COLORS[0], 'fill-opacity': (0.06 + 0.94 * t).toFixed(3) },
          s('title', { text: `${WEEKDAYS[d - 1]} ${hr}:00–${hr}:59 · ${pretty(vKey)}: ${fmt(vKey, v)}` })));
      }
    }
    return h('div', {}, h('div', { class: 'sub' }, `${pretty(vKey)} · darker is busier (max ${fmt(vKey, max)})`), svg);
  }

  // Cohort table: long rows (cohort, offset, fraction) or wide ones (an array per cohort).
  function cohortTable(rows) {
    if (!rows.length) return null;
    const keys = keysOf(rows);
    const cKey = pickKey(rows, ['cohort', 'cohort_month', 'first_month', 'month'], labelKey(rows));
    const oKey = keys.find((k) => /offset/.test(k));
    const arrKey = keys.find((k) => Array.isArray(rows[0][k]));
    const cohorts = new Map();
    const sizeKey = pickKey(rows, ['cohort_size', 'size', 'customers', 'users'], null);
    if (oKey) {
      const vKey = keys.find((k) => k !== oKey && k !== cKey && kindOf(k) === 'pct') || numericKeys(rows, [oKey, cKey, sizeKey])[0];
      for (const r of rows) {
        if (!cohorts.has(r[cKey])) cohorts.set(r[cKey], { size: sizeKey ? r[sizeKey] : null, cells: [] });
        cohorts.get(r[cKey]).cells[r[oKey]] = r[vKey];
      }
    } else if (arrKey) {
      for (const r of rows) cohorts.set(r[cKey], { size: sizeKey ? r[sizeKey] : null, cells: r[arrKey] });
    } else {
      const mKeys = keys.filter((k) => /^m\d+$|^month_\d+$/.test(k));
      if (!mKeys.length) return null;
      for (const r of rows) cohorts.set(r[cKey], { size: sizeKey ? r[sizeKey] : null, cells: mKeys.map((k) => r[k]) });
    }
    const width = Math.max(...[...cohorts.values()].map((c) => c.cells.length));
    const head = h('tr', {}, h('th', { text: 'Cohort' }), sizeKey ? h('th', { class: 'num', text: pretty(sizeKey) }) : null,
      Array.from({ length: width }, (_, i) => h('th', { class: 'num', text: `M${i}` })));
    const body = [...cohorts.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([c, v]) =>
      h('tr', {}, h('td', { text: shortDate(c) }), sizeKey ? h('td', { class: 'num', text: fmt(sizeKey, v.size) }) : null,
        Array.from({ length: width }, (_, i) => {
          const x = v.cells[i];
          const td = h('td', { class: 'cell num', text: isNum(x) ? fmt('rate', x) : '' });
          if (isNum(x)) { td.style.background = `rgba(37, 99, 235, ${(0.08 + 0.8 * Math.min(1, x)).toFixed(3)})`; if (x > 0.55) td.style.color = '#fff'; }
          return td;
        })));
    return h('div', { class: 'scroll' }, h('table', { class: 'data cohort' }, h('thead', {}, head), h('tbody', {}, body)));
  }

  function table(rows, opts) {
    opts = opts || {};
    if (!rows.length) return null;
    const cols = opts.columns ? opts.columns.filter((c) => keysOf(rows).includes(c)) : keysOf(rows);
    const limit = opts.limit || 50;
    const numeric = new Set(cols.filter((c) => rows.some((r) => isNum(r[c]))));
    const cell = (c, v) => {
      if (Array.isArray(v) && v.length && typeof v[0] === 'object') return `${v.length} item${v.length === 1 ? '' : 's'}`;
      if (v && typeof v === 'object' && !Array.isArray(v)) return Object.entries(v).map(([k, x]) => `${k}: ${fmt(k, x)}`).join(', ');
      return TIME_RE.test(String(v)) && String(v).length > 10 ? String(v).replace('T', ' ').slice(0, 19) : fmt(c, v);
    };
    return h('div', { class: 'scroll' }, h('table', { class: 'data' },
      h('thead', {}, h('tr', {}, cols.map((c) => h('th', { class: numeric.has(c) ? 'num' : null, text: pretty(c) })))),
      h('tbody', {}, rows.slice(0, limit).map((r) => h('tr', {}, cols.map((c) => h('td', { class: numeric.has(c) ? 'num' : null, text: cell(c, r[c]) })))))),
    rows.length > limit ? h('div', { class: 'sub' }, `… ${rows.length - limit} more rows`) : null);
  }

  function tiles(pairs) {
    return h('div', { class: 'tiles' }, pairs.map(([key, v, label]) =>
      h('div', { class: 'tile', 'data-key': key }, h('div', { class: 'label', text: label || pretty(key) }), h('div', { class: 'value', text: fmt(key, v) }))));
  }

  // Headline figures of an answer: `value` and the scalar `values`, in the panel's order when given.
  function figures(answer, opts) {
    opts = opts || {};
    const vals = answer.values || {};
    const pairs = [];
    if (opts.pick) {
      for (const k of opts.pick) {
        if (k === 'value' && 'value' in answer) pairs.push([opts.valueKey || answer.metric, answer.value, opts.valueLabel]);
        else if (k in vals && !(vals[k] && typeof vals[k] === 'object')) pairs.push([k, vals[k]]);
      }
    } else {
      if (answer.value != null && typeof answer.value !== 'object' && !Object.values(vals).includes(answer.value)) pairs.push([opts.valueKey || answer.metric, answer.value, opts.valueLabel]);
      for (const [k, v] of Object.entries(vals)) if (v == null || typeof v !== 'object') pairs.push([k, v]);
    }
    return pairs;
  }
  function subTables(answer) {
    const out = [];
    for (const [k, v] of Object.entries(answer.values || {})) {
      if (Array.isArray(v) && v.length && typeof v[0] === 'object') out.push(h('div', { class: 'sectionlabel', text: pretty(k) }), table(v, { limit: 10 }));
      else if (v && typeof v === 'object' && !Array.isArray(v)) out.push(h('div', { class: 'sectionlabel', text: pretty(k) }), keyValues(v));
    }
    return out;
  }
  function keyValues(obj) {
    const rows = [];
    const walk = (o, prefix) => {
      for (const [k, v] of Object.entries(o)) {
        const name = prefix ? `${prefix} · ${k}` : k;
        if (v && typeof v === 'object' && !Array.isArray(v)) walk(v, name);
        else {
          const good = v === true || v === 'ok' || v === 'up' || v === 'healthy';
          const bad = v === false || v === 'down' || v === 'error' || v === 'failing' || v === 'unhealthy';
          rows.push(h('div', { class: 'k', text: pretty(name) }), h('div', { class: good ? 'ok' : bad ? 'bad' : null, text: Array.isArray(v) ? (v.length && typeof v[0] === 'object' ? `${v.length} items` : v.join(', ')) : fmt(k, v) }));
        }
      }
    };
    walk(obj, '');
    return h('div', { class: 'kv' }, rows);
  }

  // ---- dates (the reporting zone's calendar) -------------------------------------
  function todayIn(tz) {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
    const get = (t) => parts.find((p) => p.type === t).value;
    return `${get('year')}-${get('month')}-${get('day')}`;
  }
  function addDays(iso, n) { const d = new Date(iso + 'T00:00:00Z'); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); }
  function addMonths(iso, n) { const d = new Date(iso.slice(0, 7) + '-01T00:00:00Z'); d.setUTCMonth(d.getUTCMonth() + n); return d.toISOString().slice(0, 10); }
  function daysBetween(a, b) { return Math.round((Date.parse(b) - Date.parse(a)) / 86400000); }
  function preset(name, today) {
    const tomorrow = addDays(today, 1);
    switch (name) {
      case '7d': return [addDays(today, -6), tomorrow];
      case '90d': return [addDays(today, -89), tomorrow];
      case 'mtd': return [today.slice(0, 7) + '-01', tomorrow];
      case 'lm': return [addMonths(today, -1), today.slice(0, 7) + '-01'];
      case 'ytd': return [today.slice(0, 4) + '-01-01', tomorrow];
      case '12m': return [addMonths(today, -11), tomorrow];
      default: return [addDays(today, -29), tomorrow];
    }
  }

  // ---- the read API ------------------------------------------------------------
  const PANEL_STATE = new Map(); // choices made inside panels (the drop-off course) across reloads
  const state = { catalog: new Map(), tz: 'UTC', page: null, from: null, to: null, gen: 0, timers: [], cache: new Map(),
    filters: {}, filterChoices: new Map() };
  // The header's buyer filters, in badge order; '' (All) means not sent.
  const FILTERS = ['profession', 'state'];

  async function getJSON(path, params) {
    const qs = new URLSearchParams(params || {}).toString();
    const res = await fetch(API + path + (qs ? '?' + qs : ''), { headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) throw new Error((body && (body.error || body.detail)) || `${res.status} ${res.statusText}`);
    return body;
  }
  const has = (name) => state.catalog.has(name);
  // Only the parameters the catalog declares for the metric are sent.
  function metricParams(name, params) {
    const declared = state.catalog.get(name) || new Set();
    const out = {};
    for (const [k, v] of Object.entries(params || {})) if (declared.has(k) && v != null && v !== '') out[k] = v;
    return out;
  }
  // The header filters that apply to a metric: those it declares and that are set.
  function filtersFor(name) {
    const declared = state.catalog.get(name) || new Set();
    const out = {};
    for (const f of FILTERS) if (declared.has(f) && state.filters[f]) out[f] = state.filters[f];
    return out;
  }
  // The badge text for a metric's panel ("PT · TX"), '' when nothing filters it.
  function filterNote(name) { return Object.values(filtersFor(name)).join(' · '); }
  function filterBadge(name) {
    const note = filterNote(name);
    return note ? h('span', { class: 'filtered', title: 'Only buyers with this profession / license state', text: `filtered: ${note}` }) : null;
  }
  // One request per (metric, params, period) per page render, shared by panels.
  // The header filters go along; a panel's own params win (none sets a filter).
  function fetchMetric(name, params, period, fresh) {
    const p = { from: (period || [state.from])[0], to: (period || [null, state.to])[1], ...metricParams(name, { ...state.filters, ...params }) };
    const key = name + '?' + new URLSearchParams(p).toString();
    if (fresh || !state.cache.has(key)) state.cache.set(key, getJSON('/metrics/' + encodeURIComponent(name), p));
    return state.cache.get(key);
  }

  // ---- panels ----------------------------------------------------------------------
  // A panel: {title, metric, params, kind, w, ...options}. `kind` names a renderer below;
  // a renderer gets the answer and returns a Node, or null when there is nothing to show.
  const RENDER = {
    stats: (a, o) => { const f = figures(a, o); return f.length ? h('div', {}, tiles(f), o.subtables ? subTables(a) : null) : null; },
    series: (a, o) => lineChart(a.rows || [], o),
    bars: (a, o) => barChart(a.rows || [], o),
    table: (a, o) => table(a.rows || [], o),
    funnel: (a, o) => funnelChart(a.rows || [], o),
    heatmap: (a, o) => heatmap(a.rows || [], o),
    cohort: (a) => cohortTable(a.rows || []),
    statsBars: (a, o) => both(RENDER.stats(a, o), barChart(a.rows || [], o)),
    statsSeries: (a, o) => both(RENDER.stats(a, o), lineChart(a.rows || [], o)),
    statsTable: (a, o) => both(RENDER.stats(a, o), h('div', {}, table(a.rows || [], o), o.nested ? nestedTable(a.rows || [], o.nested) : null)),
    goals: (a) => goals(a),
    live: (a) => live(a),
  };
  // SVG widths by panel width, so that text keeps about the same size on screen.
  const WIDTHS = { w3: 360, w4: 420, w5: 520, w6: 640, w7: 720, w8: 860, w12: 1280 };

  // Rows summed by one key (e.g. support tickets per category from per-day rows).
  function aggregate(rows, by, sum) {
    const out = new Map();
    for (const r of rows) out.set(r[by], (out.get(r[by]) || 0) + (Number(r[sum]) || 0));
    return [...out.entries()].map(([k, v]) => ({ [by]: k, [sum]: v }));
  }

  // The arrays of objects inside rows (uptime incidents) as one table, labelled by the row.
  function nestedTable(rows, key) {
    const label = labelKey(rows);
    const flat = [];
    for (const r of rows) for (const x of Array.isArray(r[key]) ? r[key] : []) if (x && typeof x === 'object') flat.push({ [label]: r[label], ...x });
    return h('div', {}, h('div', { class: 'sectionlabel', text: `${pretty(key)} (${flat.length})` }),
      flat.length ? table(flat, { limit: 20 }) : h('div', { class: 'note', text: `No ${key} in this period.` }));
  }

  function both(x, y) { return x || y ? h('div', {}, x, y ? h('div', { style: 'margin-top:10px' }, y) : null) : null; }

  function goals(answer) {
    let rows = answer.rows || [];
    if (!rows.length && answer.values) rows = Object.entries(answer.values).filter(([, v]) => v && typeof v === 'object').map(([k, v]) => ({ goal: k, ...v }));
    if (!rows.length) return null;
    const nameKey = pickKey(rows, ['goal', 'name', 'metric'], labelKey(rows));
    // a goal with several targets (active users: 100 / 500 / 1000) comes as one row per target
    const goalsByName = new Map();
    for (const r of rows) {
      const name = r[nameKey];
      if (!goalsByName.has(name)) goalsByName.set(name, { name, value: r.value, targets: [], met: [] });
      const g = goalsByName.get(name);
      for (const t of [].concat(r.targets != null ? r.targets : r.target != null ? r.target : [])) if (isNum(t)) {
        g.targets.push(t);
        g.met.push(typeof r.met === 'boolean' ? r.met : r.value >= t);
      }
    }
    return h('div', { class: 'tiles' }, [...goalsByName.values()].map((g) => {
      const metCount = g.met.filter(Boolean).length;
      const met = g.targets.length > 0 && metCount > 0;
      const next = g.targets.find((t, i) => !g.met[i]);
      const goalTo = next != null ? next : g.targets[g.targets.length - 1];
      const progress = isNum(g.value) && goalTo ? Math.max(0, Math.min(1, g.value / goalTo)) : 0;
      const bar = h('div', { class: 'bar' }, h('div', {}));
      bar.firstChild.style.width = (progress * 100).toFixed(1) + '%';
      const badge = !g.targets.length ? 'no target' : g.targets.length === 1 ? (met ? 'met' : 'not met') : `${metCount} of ${g.targets.length} met`;
      return h('div', { class: 'goal' + (met ? ' met' : ''), 'data-goal': g.name },
        h('span', { class: 'badge', text: badge }),
        h('div', { class: 'label', text: pretty(g.name) }),
        h('div', { class: 'value', text: fmt(g.name, g.value) }),
        h('div', { class: 'target', text: g.targets.length ? `target${g.targets.length > 1 ? 's' : ''} ${g.targets.map((x) => fmt(g.name, x)).join(' / ')}` : '' }),
        bar);
    }));
  }

  function live(answer) {
    const vals = answer.values || {};
    const order = Object.keys(vals).sort((a, b) => (/per_s|per_second|eps/.test(b) ? 1 : 0) - (/per_s|per_second|eps/.test(a) ? 1 : 0));
    const pairs = [];
    if (isNum(answer.value) && !Object.values(vals).includes(answer.value)) pairs.push(['events_per_second', answer.value, 'Events / s']);
    for (const k of order) if (vals[k] == null || typeof vals[k] !== 'object') pairs.push([k, vals[k]]);
    const rows = answer.rows || [];
    return h('div', {}, pairs.length ? tiles(pairs) : null,
      rows.length ? h('div', { style: 'margin-top:8px' }, lineChart(rows, { height: 150 })) : null,
      subTables(answer));
  }

  // Headline figures with the change against the previous period of the same length.
  async function kpis(panel) {
    const period = [state.from, state.to];
    const len = daysBetween(state.from, state.to);
    const prev = [addDays(state.from, -len), state.from];
    const items = panel.items.filter((it) => has(it.metric));
    if (!items.length) return null;
    const read = (a, it) => (it.key === 'value' ? a.value : (a.values || {})[it.key]);
    const results = await Promise.all(items.map(async (it) => {
      const [cur, old] = await Promise.all([fetchMetric(it.metric, it.params, period), fetchMetric(it.metric, it.params, prev)]);
      return [it, read(cur, it), read(old, it)];
    }));
    const shown = results.filter(([, cur]) => cur !== undefined);
    if (!shown.length) return null;
    return h('div', { class: 'tiles' }, shown.map(([it, cur, old]) => {
      const kkey = it.kindKey || (it.key === 'value' ? it.metric : it.key);
      const kind = kindOf(kkey);
      let delta = null, text = 'no previous figure';
      if (isNum(cur) && isNum(old)) {
        if (kind === 'pct') { delta = cur - old; text = `${delta >= 0 ? '▲' : '▼'} ${(Math.abs(delta) * 100).toFixed(1)} pp`; }
        else if (old !== 0) { delta = (cur - old) / Math.abs(old); text = `${delta >= 0 ? '▲' : '▼'} ${(Math.abs(delta) * 100).toFixed(1)}%`; }
        else if (cur === 0) { delta = 0; text = 'no change'; }
        else { delta = cur > 0 ? 1 : -1; text = `${cur > 0 ? '▲' : '▼'} from zero`; }
        if (delta !== 0 || kind === 'pct') text += ` (was ${fmt(kkey, old, kind)})`;
      }
      const better = delta == null || Math.abs(delta) < 1e-9 ? 'flat' : (delta > 0) === (it.good !== 'down') ? 'up' : 'down';
      return h('div', { class: 'tile', 'data-key': it.metric + '.' + it.key },
        h('div', { class: 'label', text: it.label }),
        h('div', { class: 'value', text: fmt(it.key, cur, kind) }),
        h('div', { class: 'delta ' + better, title: `previous period ${prev[0]} – ${addDays(prev[1], -1)}`, text }),
        filterBadge(it.metric));
    }));
  }

  async function health() {
    const body = await getJSON('/health');
    return keyValues(body);
  }

  // Drop-off by lesson, one course at a time (the courses come from the rows).
  function dropoff(answer, panel, card) {
    const rows = answer.rows || [];
    const cKey = pickKey(rows, ['course_id', 'course'], labelKey(rows));
    const lKey = pickKey(rows, ['lesson_index', 'lesson'], null);
    if (!rows.length || !cKey || !lKey) return null;
    const reachedKey = pickKey(rows, ['reached'], null);
    const droppedKey = pickKey(rows, ['dropped'], null);
    const totals = new Map();
    for (const r of rows) totals.set(r[cKey], Math.max(totals.get(r[cKey]) || 0, r[reachedKey] || r[droppedKey] || 0));
    const courses = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a));
    if (!panel.course || !totals.has(panel.course)) panel.course = courses[0];
    const keep = (c) => { panel.course = c; PANEL_STATE.set(panel.title, c); };
    if (PANEL_STATE.has(panel.title) && totals.has(PANEL_STATE.get(panel.title))) panel.course = PANEL_STATE.get(panel.title);
    const sel = h('select', { 'aria-label': 'Course' }, courses.map((c) => h('option', { value: c, text: c })));
    sel.value = panel.course;
    const chartBox = h('div', {});
    const draw = () => {
      const mine = rows.filter((r) => r[cKey] === panel.course).sort((a, b) => a[lKey] - b[lKey]);
      chartBox.replaceChildren(barChart(mine, { width: panel.width, label: lKey, value: reachedKey || droppedKey, overlay: reachedKey && droppedKey ? droppedKey : null, keepOrder: true, limit: 50, labelFmt: (v) => `Lesson ${v}` }) || h('div', { class: 'note', text: 'No data for this course.' }));
    };
    sel.addEventListener('change', () => { keep(sel.value); draw(); });
    const tools = card.querySelector('.tools');
    tools.replaceChildren(sel);
    draw();
    return chartBox;
  }

  // ---- pages -----------------------------------------------------------------------
  const PAGES = [
    { id: 'overview', title: 'Overview', panels: [
      { title: 'Goals', metric: 'goals', kind: 'goals', w: 'w12', sub: 'The school\u2019s benchmarks as of the period\u2019s end' },
      { title: 'Headline figures', kind: 'kpis', w: 'w12', sub: 'Change against the previous period of the same length', items: [
        { metric: 'revenue', key: 'net_revenue', label: 'Net revenue' },
        { metric: 'revenue', key: 'orders', label: 'Orders' },
        { metric: 'aov', key: 'value', label: 'Average order value', kindKey: 'aov' },
        { metric: 'customers', key: 'new_customers', label: 'New customers' },
        { metric: 'traffic', key: 'visitors', label: 'Visitors' },
        { metric: 'conversion_rate', key: 'value', label: 'Conversion rate', kindKey: 'conversion_rate' },
        { metric: 'course_completion', key: 'completion_rate', label: 'Course completion' },
        { metric: 'refund_rate', key: 'value', label: 'Refund rate', kindKey: 'refund_rate', good: 'down' },
      ] },
      { title: 'Net revenue by day', metric: 'revenue', params: { interval: 'day' }, kind: 'series', keys: ['revenue', 'net_revenue', 'refunds'], w: 'w8' },
      { title: 'Purchase funnel', metric: 'funnel', kind: 'funnel', w: 'w4' },
      { title: 'Traffic by channel', metric: 'traffic', params: { group_by: 'channel' }, kind: 'bars', value: 'sessions', w: 'w6' },
      { title: 'Most popular courses', metric: 'popular_courses', kind: 'bars', value: 'enrollments', w: 'w6' },
    ] },
    { id: 'revenue', title: 'Revenue & customers', panels: [
      { title: 'Revenue', metric: 'revenue', params: { interval: 'day' }, kind: 'statsSeries', pick: ['revenue', 'refunds', 'net_revenue', 'orders'], keys: ['revenue', 'net_revenue', 'refunds'], w: 'w8', intervalPicker: true },
      { title: 'Customers', metric: 'customers', kind: 'stats', w: 'w4' },
      { title: 'Average order value', metric: 'aov', kind: 'stats', w: 'w3', valueKey: 'aov' },
      { title: 'Revenue per customer', metric: 'revenue_per_customer', kind: 'stats', w: 'w3', valueKey: 'revenue_per_customer' },
      { title: 'Refund rate', metric: 'refund_rate', kind: 'stats', w: 'w3', valueKey: 'refund_rate' },
      { title: 'Customer acquisition cost', metric: 'cac', kind: 'stats', w: 'w3', valueKey: 'cac' },
      { title: 'Growth by month', metric: 'growth', kind: 'statsTable', w: 'w6' },
      { title: 'Lifetime value', metric: 'ltv', kind: 'statsTable', w: 'w6', valueKey: 'ltv' },
      { title: 'Retention by first-order cohort', metric: 'retention', kind: 'cohort', w: 'w12', sub: 'Share of each cohort ordering again N months after its first order' },
      { title: 'Revenue by profession', metric: 'professions', kind: 'bars', value: 'revenue', w: 'w6' },
      { title: 'Revenue by license state', metric: 'regions', kind: 'statsBars', value: 'revenue', w: 'w6' },
      { title: 'Packages', metric: 'packages', kind: 'bars', value: 'revenue', w: 'w6' },
      { title: 'Seasonality (all years, by calendar month)', metric: 'seasonality', kind: 'bars', value: 'revenue', keepOrder: true, labelFmt: (m) => MONTHS[Number(m) - 1] || String(m), w: 'w6' },
      { title: 'Cash flow by month', metric: 'cash_flow', kind: 'table', w: 'w8' },
      { title: 'Profit margin', metric: 'profit_margin', kind: 'stats', w: 'w4', valueKey: 'profit_margin' },
      { title: 'Break-even', metric: 'break_even', kind: 'statsSeries', w: 'w12' },
    ] },
    { id: 'marketing', title: 'Marketing & codes', panels: [
      { title: 'Discount codes', metric: 'discount_codes', kind: 'table', w: 'w12' },
      { title: 'Organic share', metric: 'organic_share', kind: 'stats', w: 'w4', valueKey: 'organic_share' },
      { title: 'Coupon kinds', metric: 'coupon_kinds', kind: 'bars', value: 'revenue', w: 'w8' },
      { title: 'Purchase funnel', metric: 'funnel', kind: 'funnel', w: 'w6' },
      { title: 'Sessions by channel', metric: 'traffic', params: { group_by: 'channel' }, kind: 'bars', value: 'sessions', w: 'w6' },
      { title: 'Landing pages', metric: 'landing_pages', kind: 'table', w: 'w8' },
      { title: 'Conversion', metric: 'conversion_rate', kind: 'stats', w: 'w4', valueKey: 'conversion_rate' },
      { title: 'Sign-up rate', metric: 'signup_rate', kind: 'stats', w: 'w4', valueKey: 'signup_rate' },
      { title: 'Customer acquisition cost', metric: 'cac', kind: 'stats', w: 'w4', valueKey: 'cac' },
    ] },
    { id: 'courses', title: 'Courses & engagement', panels: [
      { title: 'Course completion', metric: 'course_completion', kind: 'statsTable', w: 'w12', limit: 40 },
      { title: 'Drop-off by lesson', metric: 'dropoff', kind: 'dropoff', w: 'w6', sub: 'Learners reaching each lesson, and those whose furthest lesson it was (not completed)' },
      { title: 'Certificates', metric: 'certificate_rate', kind: 'stats', w: 'w3', valueKey: 'certificate_rate' },
      { title: 'NPS', metric: 'nps', kind: 'stats', w: 'w3', valueKey: 'nps' },
      { title: 'Popular courses', metric: 'popular_courses', kind: 'bars', value: 'enrollments', w: 'w6' },
      { title: 'Rating by course', metric: 'rating', params: { group_by: 'course' }, kind: 'statsBars', valueKey: 'rating', w: 'w6' },
      { title: 'Search', metric: 'search_usage', kind: 'statsTable', w: 'w6', subtables: true },
      { title: 'Feature usage', metric: 'feature_usage', kind: 'bars', w: 'w6' },
      { title: 'Sign-in success', metric: 'login_success', kind: 'stats', w: 'w6', valueKey: 'login_success' },
    ] },
    { id: 'audience', title: 'Audience', panels: [
      { title: 'Traffic', metric: 'traffic', kind: 'stats', w: 'w6' },
      { title: 'Sessions', metric: 'sessions', kind: 'stats', w: 'w6' },
      { title: 'Traffic sources', metric: 'traffic', params: { group_by: 'channel' }, kind: 'bars', value: 'sessions', w: 'w6' },
      { title: 'Landing pages', metric: 'landing_pages', kind: 'bars', value: 'sessions', w: 'w6' },
      { title: 'Devices', metric: 'devices', kind: 'statsBars', value: 'sessions', w: 'w4' },
      { title: 'Countries', metric: 'traffic', params: { group_by: 'country' }, kind: 'bars', value: 'visitors', w: 'w4' },
      { title: 'Regions', metric: 'traffic', params: { group_by: 'region' }, kind: 'bars', value: 'visitors', w: 'w4', sub: 'US states need GEOIP_CITY_DB; (none) = unknown' },
      { title: 'Busiest times (weekday × hour)', metric: 'peak_usage', kind: 'heatmap', value: 'visitors', w: 'w8' },
      { title: 'Return visits', metric: 'return_visits', kind: 'stats', w: 'w4' },
    ] },
    { id: 'operations', title: 'Operations', panels: [
      { title: 'Live', metric: 'live', kind: 'live', w: 'w8', live: true, sub: 'Refreshes every few seconds' },
      { title: 'Pipeline health', kind: 'health', w: 'w4', live: true },
      { title: 'Uptime and incidents', metric: 'uptime', kind: 'statsTable', w: 'w12', columns: ['target', 'checks', 'ok_checks', 'uptime', 'p50_ms', 'p95_ms'], nested: 'incidents' },
      { title: 'Page speed', metric: 'page_speed', kind: 'stats', w: 'w4' },
      { title: 'Page speed by page', metric: 'page_speed', params: { group_by: 'page' }, kind: 'table', w: 'w8' },
      { title: 'JS errors', metric: 'error_rate', kind: 'statsBars', valueKey: 'error_rate', w: 'w6' },
      { title: 'Support tickets by category', metric: 'support_tickets', kind: 'statsBars', agg: ['category', 'tickets'], w: 'w6' },
      { title: 'Support tickets per day', metric: 'support_tickets', kind: 'series', agg: ['day', 'tickets'], w: 'w12' },
    ] },
  ];

  function panelCard(panel) {
    const card = h('section', { class: `panel ${panel.w || 'w6'}`, 'data-kind': panel.kind, 'data-metric': panel.metric || panel.kind, 'data-state': 'loading', 'data-live': panel.live ? '1' : null,
      'data-filtered': (panel.metric && filterNote(panel.metric)) || null },
      h('h2', {}, panel.live ? h('span', { class: 'live-dot', title: 'live' }) : null, panel.title, panel.metric ? filterBadge(panel.metric) : null, h('span', { class: 'tools' })),
      panel.sub ? h('div', { class: 'sub', text: panel.sub }) : null,
      h('div', { class: 'body' }));
    if (panel.intervalPicker) {
      const sel = h('select', { 'aria-label': 'Interval' }, ['day', 'week', 'month'].map((v) => h('option', { value: v, text: 'by ' + v })));
      sel.value = panel.params.interval;
      sel.addEventListener('change', () => { panel.params.interval = sel.value; loadPanel(panel, card, state.gen); });
      card.querySelector('.tools').append(sel);
    }
    return card;
  }

  async function loadPanel(panel, card, gen, fresh) {
    const body = card.querySelector('.body');
    const done = (st, node) => {
      if (gen !== state.gen) return;
      card.dataset.state = st;
      body.replaceChildren(node);
      card.dataset.updated = String(Date.now());
    };
    if (panel.metric && !has(panel.metric) && panel.kind !== 'kpis') {
      done('unavailable', h('div', { class: 'note', text: `The catalog has no metric '${panel.metric}' yet.` }));
      return;
    }
    try {
      let node;
      if (panel.kind === 'kpis') node = await kpis(panel);
      else if (panel.kind === 'health') node = await health();
      else {
        const answer = await fetchMetric(panel.metric, panel.params, null, fresh);
        if (gen !== state.gen) return;
        const opts = { ...panel, width: WIDTHS[panel.w || 'w6'] };
        const shaped = panel.agg ? { ...answer, rows: aggregate(answer.rows || [], panel.agg[0], panel.agg[1]) } : answer;
        node = panel.kind === 'dropoff' ? dropoff(shaped, opts, card) : RENDER[panel.kind](shaped, opts);
        if (node && answer.sql) node = h('div', {}, node, h('details', { class: 'sql' }, h('summary', { text: 'SQL' }), h('pre', { text: answer.sql })));
      }
      if (node) done('ok', node);
      else {
        const note = panel.metric ? filterNote(panel.metric) : '';
        done('empty', h('div', { class: 'note', text: note ? `No data in this period for ${note}.` : 'No data in this period.' }));
      }
    } catch (e) {
      done('error', h('div', { class: 'error', text: String(e.message || e) }));
    }
  }

  // ---- routing and the range picker ------------------------------------------------
  function readHash() {
    const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
    const q = new URLSearchParams(query || '');
    const filters = {};
    // a value the catalog does not offer (a stale or hand-edited link) is dropped, not sent
    for (const f of FILTERS) {
      const v = q.get(f) || '';
      filters[f] = (state.filterChoices.get(f) || []).includes(v) ? v : '';
    }
    return { page: PAGES.find((p) => p.id === path) ? path : 'overview', from: q.get('from'), to: q.get('to'), preset: q.get('preset'), filters };
  }
  function writeHash(page, from, to, presetName, filters) {
    const q = new URLSearchParams(presetName && presetName !== 'custom' ? { preset: presetName } : { from, to });
    for (const f of FILTERS) if ((filters || state.filters)[f]) q.set(f, (filters || state.filters)[f]);
    const next = `#/${page}?${q.toString()}`;
    if (location.hash !== next) location.hash = next; else render();
  }
  const validDate = (v) => /^\d{4}-\d{2}-\d{2}$/.test(v || '') && !Number.isNaN(Date.parse(v));

  function render() {
    const route = readHash();
    const today = todayIn(state.tz);
    let from = route.from, to = route.to, presetName = route.preset;
    if (!(validDate(from) && validDate(to) && from < to)) {
      [from, to] = preset(presetName || '30d', today);
      presetName = presetName || '30d';
    } else presetName = 'custom';
    state.page = route.page; state.from = from; state.to = to; state.filters = route.filters;
    state.gen += 1;
    state.cache.clear();
    for (const t of state.timers) clearInterval(t);
    state.timers = [];
    document.getElementById('preset').value = presetName;
    document.getElementById('from').value = from;
    document.getElementById('through').value = addDays(to, -1);
    for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === route.page);
    const page = PAGES.find((p) => p.id === route.page);
    for (const f of FILTERS) {
      const sel = document.getElementById(f);
      sel.value = state.filters[f];
      sel.classList.toggle('on', !!state.filters[f]);
    }
    // dimmed where no panel of the page takes a filter (they still carry over to other pages)
    const takes = (m) => FILTERS.some((f) => (state.catalog.get(m) || new Set()).has(f));
    const applies = page.panels.some((p) => takes(p.metric) || (p.items || []).some((it) => takes(it.metric)));
    document.getElementById('filters').classList.toggle('idle', !applies);
    document.title = `${page.title} · DrTroy metrics`;
    const grid = h('div', { class: 'grid' });
    const main = document.getElementById('page');
    main.replaceChildren(h('div', { class: 'pagehead' }, h('h1', { text: page.title }),
      h('span', { class: 'period', text: `${from} – ${addDays(to, -1)} (${daysBetween(from, to)} days, ${state.tz})` })), grid);
    const gen = state.gen;
    for (const panel of page.panels) {
      const card = panelCard(panel);
      grid.append(card);
      loadPanel(panel, card, gen);
      if (panel.live) {
        state.timers.push(setInterval(() => { if (!document.hidden) loadPanel(panel, card, gen, true); }, LIVE_EVERY_MS));
      }
    }
    setStatus(`Updated ${new Date().toLocaleTimeString()}`);
  }
  function setStatus(text, isError) {
    document.getElementById('status').replaceChildren(h('span', { class: isError ? 'err' : null, text }));
  }

  async function start() {
    const nav = document.getElementById('nav');
    for (const p of PAGES) nav.append(h('a', { href: `#/${p.id}`, 'data-page': p.id, text: p.title, onclick: (ev) => { ev.preventDefault(); writeHash(p.id, state.from, state.to, document.getElementById('preset').value); } }));
    const form = document.getElementById('range');
    document.getElementById('preset').addEventListener('change', (ev) => {
      if (ev.target.value !== 'custom') writeHash(state.page, null, null, ev.target.value);
    });
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const from = document.getElementById('from').value;
      const through = document.getElementById('through').value;
      if (!validDate(from) || !validDate(through) || through < from) { setStatus('Choose a first day on or before the last day.', true); return; }
      writeHash(state.page, from, addDays(through, 1), 'custom');
    });
    for (const f of FILTERS) {
      // both selects are read: a second change may come before the first one's render
      document.getElementById(f).addEventListener('change', () => {
        const chosen = Object.fromEntries(FILTERS.map((g) => [g, document.getElementById(g).value]));
        writeHash(state.page, state.from, state.to, document.getElementById('preset').value, chosen);
      });
    }
    window.addEventListener('hashchange', render);
    try {
      const cat = await getJSON('/metrics');
      state.tz = cat.tz || 'UTC';
      for (const m of cat.metrics || []) {
        state.catalog.set(m.name, new Set((m.parameters || []).map((p) => p.name)));
        for (const p of m.parameters || []) {
          if (!FILTERS.includes(p.name)) continue;
          const known = state.filterChoices.get(p.name) || [];
          for (const c of p.choices || []) if (!known.includes(c)) known.push(c);
          state.filterChoices.set(p.name, known);
        }
      }
      // the choices are the catalog's (union over the metrics that declare the filter)
      for (const f of FILTERS) {
        const choices = state.filterChoices.get(f) || [];
        document.getElementById(f).append(...choices.map((c) => h('option', { value: c, text: c })));
        document.getElementById(f).closest('label').hidden = !choices.length;
      }
    } catch (e) {
      setStatus('Could not read the metric catalog: ' + (e.message || e), true);
      return;
    }
    render();
  }

  // For tests and scripts: the page's own view of what it shows.
  window.drtroyDashboard = { pages: PAGES.map((p) => ({ id: p.id, title: p.title })), state };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start); else start();
})();
