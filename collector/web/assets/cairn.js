// Cairn dashboards: small helpers both pages share. Plain JavaScript, no
// framework, no network access beyond the collector that served the page.
// Every piece of data reaches the page through textContent or an SVG
// attribute: data is never parsed as HTML.
"use strict";

const Cairn = (() => {
  const SVG_NS = "http://www.w3.org/2000/svg";

  // An HTML element: attributes from `attrs` (null/undefined skipped),
  // children appended as nodes, strings and numbers as text.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttributes(node, attrs);
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttributes(node, attrs);
    return node;
  }

  function setAttributes(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }

  // Reads "#token=..." from the URL fragment (the fragment never reaches a
  // server or a Referer). With `forget` the fragment is then removed from
  // the address bar and history. Falls back to sessionStorage[storageKey];
  // a token found in the fragment is kept there for reloads in this tab.
  function takeToken(storageKey, forget) {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    const fromFragment = params.get("token");
    if (fromFragment) {
      try { sessionStorage.setItem(storageKey, fromFragment); } catch (e) { /* storage off */ }
      if (forget) {
        history.replaceState(null, "", window.location.pathname + window.location.search);
      }
      return fromFragment;
    }
    try { return sessionStorage.getItem(storageKey); } catch (e) { return null; }
  }

  function forgetToken(storageKey) {
    try { sessionStorage.removeItem(storageKey); } catch (e) { /* storage off */ }
  }

  // One request to the collector with an Authorization header. Resolves to
  // {status, ok, json, text}; rejects only on a network failure. `text`
  // carries the collector's one-line reason when it refuses.
  async function request(method, path, authorization, body) {
    const headers = { "Authorization": authorization, "Accept": "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
    });
    const text = await response.text();
    let json = null;
    if (response.ok) {
      try { json = JSON.parse(text); } catch (e) { json = null; }
    }
    return { status: response.status, ok: response.ok && json !== null, json, text: text.trim() };
  }

  // GET `path` (see request).
  function getJson(path, authorization) {
    return request("GET", path, authorization);
  }

  // A write (POST, PATCH) of `body` as JSON (see request); a read-only
  // token's 403 comes back with its reason in `text`.
  function sendJson(method, path, authorization, body) {
    return request(method, path, authorization, body);
  }

  // Today as "YYYY-MM-DD" in UTC, the calendar the collector counts days in.
  function todayUtc() {
    return new Date().toISOString().slice(0, 10);
  }

  // A sparkline of `values` (oldest first) as an inline SVG polyline, with
  // the last point marked. `label` is what a screen reader says instead.
  function sparkline(values, label, options) {
    const width = (options && options.width) || 120;
    const height = (options && options.height) || 28;
    const pad = 3;
    const nums = (values || []).map((v) => (Number.isFinite(Number(v)) ? Number(v) : 0));
    const box = svg("svg", {
      class: "sparkline" + (options && options.down ? " down" : ""),
      width, height, viewBox: `0 0 ${width} ${height}`,
      role: "img", "aria-label": label,
    });
    box.append(svg("title", {}));
    box.firstChild.textContent = label;
    box.append(svg("line", { class: "baseline", x1: 0, y1: height - pad, x2: width, y2: height - pad }));
    if (nums.length === 0) return box;
    const max = Math.max(1, ...nums);
    const step = nums.length > 1 ? (width - 2 * pad) / (nums.length - 1) : 0;
    const points = nums.map((v, i) => {
      const x = pad + i * step;
      const y = height - pad - (v / max) * (height - 2 * pad);
      return [x, y];
    });
    box.append(svg("polyline", { points: points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ") }));
    const [lx, ly] = points[points.length - 1];
    box.append(svg("circle", { cx: lx.toFixed(1), cy: ly.toFixed(1), r: 2.5 }));
    return box;
  }

  // A progress bar: `fraction` (0..1, clamped) filled, an optional tick at
  // `expected` (0..1), and `label` for screen readers.
  function progressBar(fraction, label, options) {
    const width = (options && options.width) || 220;
    const height = 12;
    const clamped = Math.max(0, Math.min(1, Number(fraction) || 0));
    const wrap = el("span", {
      class: "progress", role: "progressbar", "aria-label": label,
      "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": Math.round(clamped * 100),
    });
    const bar = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "aria-hidden": "true", focusable: "false" });
    bar.append(svg("rect", { class: "track", x: 0, y: 0, width, height, rx: 6 }));
    bar.append(svg("rect", {
      class: "fill" + (options && options.status ? " status-" + options.status : ""),
      x: 0, y: 0, width: (clamped * width).toFixed(1), height, rx: 6,
    }));
    if (options && options.expected !== null && options.expected !== undefined) {
      const ex = Math.max(0, Math.min(1, Number(options.expected) || 0)) * width;
      bar.append(svg("line", { class: "expected", x1: ex.toFixed(1), y1: 0, x2: ex.toFixed(1), y2: height }));
    }
    wrap.append(bar);
    return wrap;
  }

  // "2026-11-23T15:04:05Z" -> "2026-11-23 15:04 UTC"; dates stay as they are.
  function formatTime(text) {
    if (!text) return "";
    const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(String(text));
    return m ? `${m[1]} ${m[2]} UTC` : String(text);
  }

  function percent(ratio) {
    if (ratio === null || ratio === undefined || !Number.isFinite(Number(ratio))) return "n/a";
    return `${Math.round(Number(ratio) * 100)}%`;
  }

  // "invoice_sent" -> "Invoice sent".
  function humanize(name) {
    const text = String(name || "").replace(/[_.-]+/g, " ").trim();
    return text ? text[0].toUpperCase() + text.slice(1) : "";
  }

  // A whole amount with thousands separators ("24,000"); "–" for none. The
  // API's amounts carry no currency, so none is shown.
  function money(amount) {
    if (amount === null || amount === undefined || !Number.isFinite(Number(amount))) return "–";
    return Number(amount).toLocaleString("en-US", { maximumFractionDigits: 0 });
  }

  // Counts the visible elements that reach past the viewport's right edge,
  // leaving out those inside a scroll box (".table-scroll": they scroll
  // there, the page does not). Kept on <body> as data-wide-elements and
  // data-viewport-width, so a phone-sized browser test can read it from the
  // DOM; the first offender's id or tag goes to data-widest for a person.
  // Costs one layout pass over the page.
  function markOverflow() {
    const width = document.documentElement.clientWidth;
    let wide = 0, first = "";
    for (const node of document.body.querySelectorAll("*")) {
      // An inline SVG clips its drawing to its own box, checked itself.
      if (node.closest(".table-scroll") || (node.ownerSVGElement && node.closest("svg") !== node)) continue;
      const box = node.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (box.right > width + 0.5 || box.left < -0.5) {
        wide += 1;
        first = first || node.id || node.tagName.toLowerCase();
      }
    }
    if (document.documentElement.scrollWidth > width) wide += 1;
    document.body.dataset.wideElements = String(wide);
    document.body.dataset.viewportWidth = String(width);
    document.body.dataset.widest = first;
  }

  // Marks the page state for people (the status line) and for tests
  // (document.body.dataset.state: loading, ready, error, need-token).
  function setState(state, message, isError) {
    document.body.dataset.state = state;
    const status = document.getElementById("status");
    if (status) {
      status.textContent = message || "";
      status.classList.toggle("error", Boolean(isError));
    }
  }

  return { el, svg, takeToken, forgetToken, getJson, sendJson, todayUtc, sparkline, progressBar, formatTime, percent, humanize, money,
           markOverflow, setState };
})();
