// sigae's explorer, one script for its two front doors: the page of `sigae explore`, which
// answers through HTTP, and the notebook widget `sigae.explore.widget`, which answers through
// the kernel. Both answer with the same `sigae.explore.session.ExploreSession` methods.
//
// startExplorer(root, request, hooks) fills `root` and returns the explorer's state (what
// it drew, and how fast: for tests and benchmarks), with `setCode(code)` and `select(indices)`.
//   request(call, params): a promise of the session's answer to `call` ("info", "decode",
//     "map", "signal", "neighbors", "interpolate", "generate") with `params`, or an error.
//   hooks.code(code): the code now shown; hooks.pick(index, add): a signal was picked (add:
//     with the shift key).
"use strict";
const COLORS = ["#1565c0", "#e65100", "#2e7d32", "#6a1b9a", "#c62828", "#00838f", "#5d4037", "#ad1457"];
const MARKUP = `
<header><h1>sigae explore</h1><span id="what"></span></header>
<pre id="probe" class="probe"></pre>
<main>
  <div>
    <section>
      <h2>Code <span id="flag" class="badge inside">inside</span></h2>
      <div class="muted">Sliders in standard deviations of the training codes, from their mean.</div>
      <div id="sliders"></div>
      <div class="row"><button id="reset">Reset to the mean code</button></div>
      <div id="readout"></div>
      <div class="row">Export
        <select id="format"><option value="csv">CSV</option><option value="npy">NPY</option></select>
        <button id="export-code">code</button><button id="export-signal">decoded signal</button>
      </div>
      <div id="error"></div>
    </section>
    <section>
      <h2>Generate</h2>
      <div class="row">
        <select id="sampler"></select>
        <input id="count" type="number" min="1" max="64" value="6" style="width:4em">
        <input id="seed" type="number" min="0" placeholder="seed" style="width:5em">
        <button id="generate">Generate</button>
      </div>
      <div id="samples" class="strip"></div>
    </section>
  </div>
  <div>
    <section>
      <h2>Decoded signal <span class="muted" id="legend"></span></h2>
      <canvas id="plot"></canvas>
    </section>
    <section id="data-panels" hidden>
      <h2>Code map <span class="muted" id="maptitle"></span></h2>
      <div class="mapwrap"><canvas id="map"></canvas><canvas id="mapover"></canvas><div id="tip"></div></div>
      <div class="row" id="picked">Click a point to pick its signal.</div>
      <div class="row">
        <button id="set-a" disabled>Use as A</button><button id="set-b" disabled>Use as B</button>
        <span id="ab" class="muted">A: none, B: none</span>
        <select id="method"><option>linear</option><option>slerp</option></select>
        <input id="steps" type="number" min="2" max="64" value="8" style="width:4em">
        <button id="interpolate" disabled>Interpolate A to B</button>
      </div>
    </section>
    <section id="path-panel" hidden>
      <h2>Interpolation <span class="muted" id="pathtitle"></span></h2>
      <div class="row"><input id="path-slider" type="range" min="0" max="7" value="0" style="flex:1">
        <button id="play">Play</button></div>
      <div id="path" class="strip"></div>
    </section>
    <section id="neighbor-panel" hidden>
      <h2>Nearest in code space</h2>
      <div id="neighbors" class="strip"></div>
    </section>
  </div>
</main>
`;

function startExplorer(root, request, hooks = {}) {
  root.classList.add("sigae-explorer");
  root.innerHTML = MARKUP;
  const $ = id => root.querySelector("#" + id);
  const state = { info: null, code: [], decoded: null, picked: null, a: null, b: null,
                  path: null, map: null, drawn: null, latencies: [], selected: [] };
  state.setCode = code => { setSliders(code); decodeNow(performance.now()); };
  state.select = indices => { state.selected = indices.slice(); if (state.map) markMap(); };

  async function api(call, params) {
    const answer = await request(call, params);
    $("error").textContent = "";
    return answer;
  }
  function report(error) { $("error").textContent = String(error.message || error); }
  
  // -- plotting on a canvas -------------------------------------------------------------------
  
  function fit(canvas) {
    const ratio = window.devicePixelRatio || 1, box = canvas.getBoundingClientRect();
    if (canvas.width !== Math.round(box.width * ratio)) {
      canvas.width = Math.round(box.width * ratio); canvas.height = Math.round(box.height * ratio);
    }
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return [context, box.width, box.height];
  }
  // Each curve: {channels: [[...], ...], color, width, dash}; every channel of every curve.
  function plot(canvas, curves, axes) {
    const [g, w, h] = fit(canvas), pad = axes ? 34 : 4;
    g.clearRect(0, 0, w, h);
    let low = Infinity, high = -Infinity, n = 1;
    for (const curve of curves) for (const values of curve.channels) {
      n = Math.max(n, values.length);
      for (const v of values) { if (v < low) low = v; if (v > high) high = v; }
    }
    if (!(high > low)) { low -= 1; high += 1; }
    const margin = (high - low) * 0.05; low -= margin; high += margin;
    const x = i => pad + (w - pad - 4) * i / Math.max(1, n - 1);
    const y = v => 4 + (h - pad - 4) * (high - v) / (high - low);
    if (axes) {
      g.strokeStyle = "#ccc"; g.fillStyle = "#666"; g.font = "11px system-ui"; g.lineWidth = 1;
      g.beginPath(); g.moveTo(pad, 4); g.lineTo(pad, h - pad); g.lineTo(w - 4, h - pad); g.stroke();
      g.fillText(high.toPrecision(3), 2, 14); g.fillText(low.toPrecision(3), 2, h - pad);
      g.fillText("0", pad, h - pad + 14); g.fillText(String(n - 1), w - 30, h - pad + 14);
    }
    for (const curve of curves) curve.channels.forEach((values, c) => {
      g.strokeStyle = curve.color || COLORS[c % COLORS.length];
      g.lineWidth = curve.width || 1.5; g.setLineDash(curve.dash || []);
      g.beginPath();
      values.forEach((v, i) => i ? g.lineTo(x(i), y(v)) : g.moveTo(x(i), y(v)));
      g.stroke();
    });
    g.setLineDash([]);
  }
  function drawMain() {
    const curves = [];
    const legend = [];
    if (state.picked && state.showPicked) {
      curves.push({ channels: state.picked.signal, color: "#111", width: 1 });
      curves.push({ channels: state.picked.reconstruction, color: "#e65100", width: 2.2, dash: [6, 3] });
      legend.push("black: signal " + state.picked.index, "orange dashed: its reconstruction");
    }
    if (state.decoded) {
      curves.push({ channels: state.decoded, width: 1.6 });
      legend.push("blue: decoder(code)" + (state.info.channels > 1 ? ", one colour per channel" : ""));
    }
    plot($("plot"), curves, true);
    state.drawn = state.decoded;
    $("legend").textContent = legend.join("; ");
  }
  function tile(container, title, channels, outside, onclick) {
    const div = document.createElement("div");
    div.className = "tile";
    const canvas = document.createElement("canvas");
    const label = document.createElement("div");
    label.textContent = title;
    if (outside !== undefined) {
      const badge = document.createElement("span");
      badge.className = "badge " + (outside ? "outside" : "inside");
      badge.textContent = outside ? "outside" : "inside";
      label.append(" ", badge);
    }
    div.append(canvas, label);
    container.append(div);
    plot(canvas, [{ channels }], false);
    if (onclick) { div.style.cursor = "pointer"; div.addEventListener("click", onclick); }
  }
  
  // -- the code, its sliders, decoding ---------------------------------------------------------
  
  let inFlight = false, queued = null;
  function decodeNow(started) {
    if (inFlight) { queued = started; return; }  // the newest position wins; no backlog
    inFlight = true;
    const code = state.code.slice();
    api("decode", { code }).then(answer => {
      state.decoded = answer.signal;
      state.showPicked = state.picked && sameCode(code, state.picked.code);
      drawMain();
      showCode(answer.outside);
      state.latencies.push(performance.now() - started);
    }).catch(report).finally(() => {
      inFlight = false;
      if (queued !== null) { const next = queued; queued = null; decodeNow(next); }
    });
  }
  function sameCode(a, b) { return a.every((v, i) => Math.abs(v - b[i]) < 1e-6); }
  function showCode(outside) {
    if (hooks.code) hooks.code(state.code.slice());
    const flag = $("flag");
    flag.className = "badge " + (outside ? "outside" : "inside");
    flag.textContent = outside ? "outside the training density" : "inside the training density";
    $("readout").textContent =
      "code = [" + state.code.map(v => v.toPrecision(4)).join(", ") + "]";
  }
  function buildSliders() {
    const { latent_dim, span, mean, std, units: carried } = state.info;
    const box = $("sliders");
    for (let i = 0; i < latent_dim; i++) {
      const row = document.createElement("div");
      row.className = "slider";
      row.innerHTML = `<label for="z${i}">z${i}</label><input id="z${i}" type="range" min="${-span}" max="${span}" step="0.01" value="0"><span class="value" id="v${i}">0.00</span>`;
      if (carried && carried[i]) row.title = `z${i} moves the ${carried[i]}`;  // text, never markup
      box.append(row);
      row.querySelector("input").addEventListener("input", event => {
        const units = Number(event.target.value);
        $("v" + i).textContent = units.toFixed(2);
        state.code[i] = mean[i] + units * std[i];
        decodeNow(performance.now());
      });
    }
  }
  function setSliders(code) {
    const { span, mean, std } = state.info;
    state.code = code.slice();
    code.forEach((v, i) => {
      const units = Math.max(-span, Math.min(span, (v - mean[i]) / std[i]));
      $("z" + i).value = units;
      $("v" + i).textContent = units.toFixed(2);
    });
  }
  
  // -- export, made in the page: nothing is written on the server -------------------------------
  
  function download(name, blob) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob); link.download = name; link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }
  function npy(values, shape) {
    // NumPy's format 1.0: magic, header length, a Python-literal header padded to 64 bytes.
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
    const total = Math.ceil((10 + header.length + 1) / 64) * 64;
    header = header.padEnd(total - 10 - 1) + "\n";
    const bytes = new Uint8Array(total + 4 * values.length);
    bytes.set([0x93, 78, 85, 77, 80, 89, 1, 0, header.length & 255, header.length >> 8]);
    for (let i = 0; i < header.length; i++) bytes[10 + i] = header.charCodeAt(i);
    const floats = new Float32Array(bytes.buffer, total, values.length);
    floats.set(values);
    return new Blob([bytes], { type: "application/octet-stream" });
  }
  function exportCode() {
    const format = $("format").value;
    if (format === "npy") return download("code.npy", npy(state.code, [state.code.length]));
    const names = state.code.map((_, i) => "z" + i);
    download("code.csv", new Blob([names.join(",") + "\n" + state.code.join(",") + "\n"]));
  }
  function exportSignal() {
    if (!state.decoded) return;
    const format = $("format").value, channels = state.decoded;
    const length = channels[0].length, rows = [];
    for (let i = 0; i < length; i++) rows.push(channels.map(c => c[i]));
    if (format === "npy") return download("decoded.npy", npy(rows.flat(), [length, channels.length]));
    const header = "# decoded from code " + state.code.join(" ") + "\n" +
                   channels.map((_, c) => "channel" + c).join(",") + "\n";
    download("decoded.csv", new Blob([header + rows.map(r => r.join(",")).join("\n") + "\n"]));
  }
  
  // -- the code map: every point drawn once, hover through a grid index --------------------------
  
  const VIRIDIS = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
                   [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]];
  function colours(map) {
    if (!map.numeric) {
      const kinds = [...new Set(map.colour)];
      return map.colour.map(v => COLORS[kinds.indexOf(v) % COLORS.length]);
    }
    const sorted = Float64Array.from(map.colour).sort();
    const low = sorted[Math.floor(0.02 * (sorted.length - 1))];
    const high = sorted[Math.floor(0.98 * (sorted.length - 1))] || low + 1;
    return map.colour.map(v => {
      const t = Math.max(0, Math.min(1, (v - low) / (high - low || 1))) * (VIRIDIS.length - 1);
      const [r, g, b] = VIRIDIS[Math.round(t)];
      return `rgb(${r},${g},${b})`;
    });
  }
  function drawMap() {
    const started = performance.now();
    const map = state.map, canvas = $("map");
    const [g, w, h] = fit(canvas);
    const over = $("mapover");
    over.style.width = canvas.style.width = w + "px"; over.style.height = h + "px";
    fit(over);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < map.x.length; i++) {
      x0 = Math.min(x0, map.x[i]); x1 = Math.max(x1, map.x[i]);
      y0 = Math.min(y0, map.y[i]); y1 = Math.max(y1, map.y[i]);
    }
    const sx = (w - 20) / ((x1 - x0) || 1), sy = (h - 20) / ((y1 - y0) || 1);
    map.px = Float32Array.from(map.x, v => 10 + (v - x0) * sx);
    map.py = Float32Array.from(map.y, v => h - 10 - (v - y0) * sy);
    const fill = colours(map), size = map.x.length > 20000 ? 1.5 : 3;
    g.clearRect(0, 0, w, h);
    for (let i = 0; i < map.x.length; i++) {
      g.fillStyle = fill[i]; g.fillRect(map.px[i] - size / 2, map.py[i] - size / 2, size, size);
    }
    map.cell = 8; map.grid = new Map();
    for (let i = 0; i < map.x.length; i++) {
      const key = Math.floor(map.px[i] / map.cell) * 100000 + Math.floor(map.py[i] / map.cell);
      if (!map.grid.has(key)) map.grid.set(key, []);
      map.grid.get(key).push(i);
    }
    markMap();
    state.mapDrawMs = performance.now() - started;
  }
  function nearest(px, py) {
    const map = state.map, cx = Math.floor(px / map.cell), cy = Math.floor(py / map.cell);
    let best = -1, distance = 36;  // within 6 pixels
    for (let dx = -1; dx <= 1; dx++) for (let dy = -1; dy <= 1; dy++) {
      for (const i of map.grid.get((cx + dx) * 100000 + cy + dy) || []) {
        const d = (map.px[i] - px) ** 2 + (map.py[i] - py) ** 2;
        if (d < distance) { distance = d; best = i; }
      }
    }
    return best;
  }
  function markMap() {
    const [g, w, h] = fit($("mapover"));
    g.clearRect(0, 0, w, h);
    const ring = (i, color) => {
      if (i === null || i < 0) return;
      g.strokeStyle = color; g.lineWidth = 2;
      g.beginPath(); g.arc(state.map.px[i], state.map.py[i], 6, 0, 2 * Math.PI); g.stroke();
    };
    for (const i of state.selected) ring(i, "#f9a825");
    ring(state.a, "#2e7d32"); ring(state.b, "#6a1b9a");
    ring(state.picked ? state.picked.index : null, "#c62828");
  }
  function mapEvents() {
    const canvas = $("map"), tip = $("tip");
    canvas.addEventListener("mousemove", event => {
      const started = performance.now();
      const box = canvas.getBoundingClientRect();
      const i = nearest(event.clientX - box.left, event.clientY - box.top);
      if (i < 0) { tip.style.display = "none"; return; }
      const map = state.map;
      tip.textContent = `signal ${i}: ${map.name ? map.name[i] + ", " : ""}row ${map.row[i]}, start ${map.start[i]}, ${map.colour_name} ${map.numeric ? Number(map.colour[i]).toPrecision(3) : map.colour[i]}`;
      tip.style.left = (map.px[i] + 12) + "px"; tip.style.top = (map.py[i] - 8) + "px";
      tip.style.display = "block";
      state.hoverLatency = performance.now() - started;
    });
    canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; });
    canvas.addEventListener("click", event => {
      const box = canvas.getBoundingClientRect();
      const i = nearest(event.clientX - box.left, event.clientY - box.top);
      if (i >= 0) pick(i, event.shiftKey);
    });
  }
  async function pick(i, add = false) {
    if (hooks.pick) hooks.pick(i, add);
    try {
      const answer = await api("signal", { index: i });
      state.picked = answer;
      state.showPicked = true;
      setSliders(answer.code);
      state.decoded = answer.reconstruction;
      drawMain();
      showCode(answer.outside);
      $("picked").textContent =
        `Picked signal ${i} (row ${answer.row}, start ${answer.start}): anomaly score ${answer.score.toPrecision(4)}`;
      for (const id of ["set-a", "set-b"]) $(id).disabled = false;
      markMap();
      const near = await api("neighbors", { index: i, k: 6 });
      $("neighbor-panel").hidden = false;  // first: a hidden canvas has no size
      const box = $("neighbors");
      box.replaceChildren();
      for (const n of near.neighbors) tile(box, `signal ${n.index}, distance ${n.distance.toPrecision(3)}`, n.signal, undefined, () => pick(n.index));
    } catch (error) { report(error); }
  }
  
  // -- interpolation and generation ----------------------------------------------------------------
  
  function showAB() {
    $("ab").textContent = `A: ${state.a ?? "none"}, B: ${state.b ?? "none"}`;
    $("interpolate").disabled = state.a === null || state.b === null;
    markMap();
  }
  async function interpolate() {
    try {
      const steps = Number($("steps").value);
      const answer = await api("interpolate", { from: state.a, to: state.b, steps,
        method: $("method").value });
      state.path = answer;
      $("path-panel").hidden = false;  // first: a hidden canvas has no size
      const box = $("path");
      box.replaceChildren();
      answer.signals.forEach((s, k) => tile(box, `step ${k}`, s, answer.outside[k], () => showStep(k)));
      const slider = $("path-slider");
      slider.max = answer.signals.length - 1; slider.value = 0;
      $("pathtitle").textContent = `${answer.method}, signal ${answer.from} to ${answer.to}`;
      showStep(0);
    } catch (error) { report(error); }
  }
  function showStep(k) {
    const path = state.path;
    setSliders(path.codes[k]);
    state.decoded = path.signals[k];
    state.showPicked = false;
    drawMain();
    showCode(path.outside[k]);
    $("path-slider").value = k;
  }
  let playing = null;
  function play() {
    if (playing) { clearInterval(playing); playing = null; return; }
    let k = 0;
    playing = setInterval(() => {
      if (!state.path || k >= state.path.signals.length) { clearInterval(playing); playing = null; return; }
      showStep(k++);
    }, 250);
  }
  async function generate() {
    try {
      const seed = $("seed").value;
      const answer = await api("generate", { n: Number($("count").value),
        sampler: $("sampler").value, seed: seed === "" ? null : Number(seed) });
      const box = $("samples");
      box.replaceChildren();
      answer.samples.forEach((s, k) => tile(box, `sample ${k}`, s.signal, s.outside, () => {
        setSliders(s.code); state.decoded = s.signal; state.showPicked = false; drawMain(); showCode(s.outside);
      }));
    } catch (error) { report(error); }
  }
  
  // -- start ----------------------------------------------------------------------------------------
  
  async function start() {
    const info = state.info = await api("info", {});
    $("what").textContent =
      `length ${info.length}, ${info.channels} channel(s), latent_dim ${info.latent_dim}` +
      (info.n_signals ? `; ${info.n_signals} signals of ${info.source}` : "; no data given");
    if (info.probe) $("probe").textContent = info.probe.join("\n");
    const sampler = $("sampler");
    for (const name of info.samplers) sampler.append(new Option(name, name));
    buildSliders();
    state.code = info.mean.slice();
    decodeNow(performance.now());
    $("reset").addEventListener("click", () => { setSliders(info.mean); decodeNow(performance.now()); });
    $("export-code").addEventListener("click", exportCode);
    $("export-signal").addEventListener("click", exportSignal);
    $("generate").addEventListener("click", generate);
    $("set-a").addEventListener("click", () => { state.a = state.picked.index; showAB(); });
    $("set-b").addEventListener("click", () => { state.b = state.picked.index; showAB(); });
    $("interpolate").addEventListener("click", interpolate);
    $("path-slider").addEventListener("input", e => showStep(Number(e.target.value)));
    $("play").addEventListener("click", play);
    window.addEventListener("resize", () => { drawMain(); if (state.map) drawMap(); });
    if (info.n_signals) {
      $("data-panels").hidden = false;
      state.map = await api("map", {});
      $("maptitle").textContent =
        `${state.map.projection.toUpperCase()} of the codes, coloured by ${state.map.colour_name}`;
      drawMap();
      mapEvents();
    }
    state.ready = true;
  }
  start().catch(report);
  return state;
}
