// The stage page: shows the views the performance pushes over a websocket and sends commands back.
// Plain modern JS, no framework, nothing fetched from anywhere but this server. `window.stage` holds
// the page's state (the merged view, the connection, what the piano roll last drew) for the tests.
"use strict";

const PAST_BARS = 4; // of the piano roll left of "now"; now sits at NOW_AT of the width
const NOW_AT = 2 / 3;
const EXTRAPOLATE_S = 0.1; // how far "now" runs on between two frames (they come every 40 ms)
const COLOURS = { human: "#3fa9ff", ai: "#ffb000", plan: "#e040fb" };
const token = new URLSearchParams(location.search).get("token");
const stage = { view: {}, connected: false, frames: 0, receivedAt: 0, draw: null, lastError: "" };
window.stage = stage;
const $ = (id) => document.getElementById(id);

// ---- connection ------------------------------------------------------------------------------

let socket = null;
let retries = 0;
let nextId = 1;
const pending = new Map(); // command id -> the button to mark when it is answered

function socketUrl() {
  const url = new URL("ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  url.search = token ? `?token=${encodeURIComponent(token)}` : "";
  return url;
}

function connect() {
  socket = new WebSocket(socketUrl());
  socket.onopen = () => { retries = 0; setConnected(true); };
  socket.onmessage = (event) => onMessage(JSON.parse(event.data));
  socket.onclose = () => {
    setConnected(false);
    setTimeout(connect, Math.min(3000, 200 * 2 ** retries++)); // the page survives a restart
  };
  socket.onerror = () => socket.close();
}

function setConnected(up) {
  stage.connected = up;
  document.body.classList.toggle("offline", !up);
  const link = $("link");
  link.textContent = up ? "live" : "reconnecting…";
  link.className = up ? "link-up" : "link-down";
}

function onMessage(msg) {
  if (msg.type === "view") {
    Object.assign(stage.view, msg.view);
    stage.frames += 1;
    if ("now" in msg.view) stage.receivedAt = performance.now();
    render(Object.keys(msg.view));
  } else if (msg.type === "ack" || msg.type === "error") {
    answered(msg.id, msg.type === "error" ? msg.error : "");
  }
}

// ---- commands --------------------------------------------------------------------------------

function send(command, button) {
  const id = nextId++;
  if (button) pending.set(id, button);
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify({ id, ...command }));
    return;
  }
  const headers = { "Content-Type": "application/json" };
  if (token) headers["X-Conductor-Token"] = token;
  fetch("command", { method: "POST", headers, body: JSON.stringify(command) })
    .then((r) => r.json())
    .then((body) => answered(id, body.error || ""))
    .catch((err) => answered(id, `not sent: ${err}`));
}

function answered(id, error) {
  const button = pending.get(id);
  pending.delete(id);
  stage.lastError = error;
  $("command-error").textContent = error;
  if (!button) return;
  button.classList.add(error ? "failed" : "sent");
  setTimeout(() => button.classList.remove("sent", "failed"), 400);
}

function press(action, target, button) {
  send(target ? { type: "press", action, target } : { type: "press", action }, button);
}

// ---- the view --------------------------------------------------------------------------------

const fixed = (x, digits) => (x === null || x === undefined ? "-" : Number(x).toFixed(digits));

function render(keys) {
  const v = stage.view;
  const has = (...names) => names.some((n) => keys.includes(n));
  if (has("title")) { $("title").textContent = v.title; document.title = `${v.title} — conductor`; }
  if (has("tempo", "meter")) $("tempo").textContent = `${fixed(v.tempo, 0)} bpm · ${v.meter}`;
  if (has("section")) $("section").textContent = v.section;
  if (has("time_left_s", "bars_left")) $("left").textContent = leftText(v);
  if (has("next_section")) $("next").textContent = `next: ${v.next_section}`;
  if (has("mode")) $("mode").textContent = v.mode;
  if (has("key")) $("key").textContent = v.key;
  if (has("ai_state")) renderAi(v.ai_state);
  if (has("notice")) { $("notice").textContent = v.notice; $("notice").hidden = !v.notice; }
  if (has("running_order", "current", "next_section")) renderOrder(v);
  if (has("params")) renderParams(v.params);
  if (has("reload_error")) { $("reload-error").textContent = v.reload_error; $("reload").hidden = !v.reload_error; }
  if (has("heard_p99_ms", "heard_worst_ms", "late_notes")) renderHeard(v);
  if (has("latency_ms")) $("latency").textContent = v.latency_ms === null ? "-" : `${fixed(v.latency_ms, 0)} ms`;
  if (has("worker")) $("worker").textContent = v.worker;
  if (has("take")) $("take").textContent = v.take || "-";
}

function leftText(v) {
  if (v.time_left_s === null) return v.current === null ? "-" : "until footswitch";
  return `${fixed(v.bars_left, 1)} bars · ${fixed(v.time_left_s, 1)} s left`;
}

function renderAi(state) {
  const ai = $("ai");
  ai.textContent = `AI ${state}`;
  ai.className = `badge ai ai-${state}`;
  $("hold").classList.toggle("on", state === "held");
}

function renderHeard(v) {
  const heard = $("heard");
  heard.textContent = v.heard_p99_ms === null ? "-"
    : `p99 ${fixed(v.heard_p99_ms, 1)} ms, worst ${fixed(v.heard_worst_ms, 1)} ms, ${v.late_notes} late`;
  heard.classList.toggle("alarm", v.late_notes > 0);
}

function renderOrder(v) {
  const list = $("order-list");
  list.replaceChildren(...(v.running_order || []).map(([name, mode, length], i) => {
    const item = document.createElement("li");
    item.classList.toggle("current", i === v.current);
    item.classList.toggle("upcoming", i !== v.current && name === v.next_section);
    const button = document.createElement("button");
    button.dataset.goto = name;
    button.append(span(name, "name"), span(length, "length"), span(mode, "mode"));
    button.addEventListener("click", () => press("goto", name, button));
    item.append(button);
    return item;
  }));
}

function span(text, cls) {
  const s = document.createElement("span");
  s.textContent = text;
  s.className = cls;
  return s;
}

// ---- parameters: one slider each; the server's value shows unless the slider is held ----------

let paramShape = "";
const dragging = new Set();
const throttle = new Map(); // param -> {timer, value}

function renderParams(params) {
  const shape = JSON.stringify((params || []).map(([n, , lo, hi]) => [n, lo, hi]));
  if (shape !== paramShape) { paramShape = shape; buildSliders(params || []); }
  for (const [name, value] of params || []) {
    const row = document.querySelector(`.param[data-name="${CSS.escape(name)}"]`);
    if (!row || dragging.has(name)) continue;
    row.querySelector("input").value = value;
    row.querySelector("output").textContent = fixed(value, 2);
  }
}

function buildSliders(params) {
  $("params").replaceChildren(...params.map(([name, value, low, high]) => {
    const row = document.createElement("label");
    row.className = "param";
    row.dataset.name = name;
    const input = Object.assign(document.createElement("input"), {
      type: "range", min: Math.min(low, high), max: Math.max(low, high), step: Math.abs(high - low) / 200, value,
    });
    const output = document.createElement("output");
    output.textContent = fixed(value, 2);
    input.addEventListener("pointerdown", () => dragging.add(name));
    for (const done of ["pointerup", "pointercancel", "change"]) input.addEventListener(done, () => dragging.delete(name));
    input.addEventListener("input", () => { output.textContent = fixed(input.value, 2); sendParam(name, Number(input.value)); });
    row.append(span(name, ""), input, output);
    return row;
  }));
}

function sendParam(name, value) { // at most 20 a second per slider, the last value always sent
  const slot = throttle.get(name) || {};
  slot.value = value;
  throttle.set(name, slot);
  if (slot.timer) return;
  send({ type: "param", name, value });
  slot.timer = setTimeout(() => {
    slot.timer = null;
    if (slot.value !== value) sendParam(name, slot.value);
  }, 50);
}

// ---- the piano roll ----------------------------------------------------------------------------

function estimatedNow() {
  const v = stage.view;
  if (v.now === undefined) return 0;
  if (v.ai_state === "stopped" || !stage.connected) return v.now;
  return v.now + Math.min(EXTRAPOLATE_S, (performance.now() - stage.receivedAt) / 1000); // smooth between frames
}

function pitchRange(groups) {
  let lo = 127, hi = 0;
  for (const notes of groups) for (const n of notes) { lo = Math.min(lo, n[2]); hi = Math.max(hi, n[2]); }
  if (lo > hi) { lo = 48; hi = 72; }
  const middle = (lo + hi) / 2, half = Math.max(12, (hi - lo) / 2 + 2);
  return [Math.floor(middle - half), Math.ceil(middle + half)];
}

function drawRoll() {
  const canvas = $("roll"), v = stage.view;
  const ratio = window.devicePixelRatio || 1, w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * ratio)) { canvas.width = Math.round(w * ratio); canvas.height = Math.round(h * ratio); }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const beats = Number(String(v.meter || "4/4").split("/")[0]) || 4;
  const bar = (60 / (v.tempo || 120)) * beats, now = estimatedNow();
  const nowX = w * NOW_AT, perS = nowX / (PAST_BARS * bar);
  const groups = { human: v.human || [], ai: v.ai || [], plan: v.plan || [] };
  const [lo, hi] = pitchRange(Object.values(groups));
  const rowH = h / (hi - lo + 1), x = (t) => nowX + (t - now) * perS;
  drawBars(ctx, x, bar, now - PAST_BARS * bar, now + (w - nowX) / perS, h);
  const rects = {};
  for (const [name, notes] of Object.entries(groups)) {
    rects[name] = notes.map(([onset, duration, pitch, velocity]) =>
      drawNote(ctx, name, x(onset), Math.max(2, duration * perS), h - (pitch - lo + 1) * rowH, rowH, velocity));
  }
  ctx.fillStyle = "#fff";
  ctx.fillRect(nowX - 1, 0, 2, h);
  stage.draw = { now, nowX, perS, width: w, height: h, rects };
}

function drawBars(ctx, x, bar, from, to, h) {
  ctx.fillStyle = "#2a2e33";
  for (let k = Math.ceil(from / bar); k * bar <= to; k++) ctx.fillRect(Math.round(x(k * bar)), 0, 1, h);
}

function drawNote(ctx, kind, x, w, y, h, velocity) {
  const rect = { x, y, w, h: Math.max(2, h - 1) };
  ctx.globalAlpha = 0.45 + 0.55 * (velocity / 127);
  if (kind === "plan") {
    ctx.globalAlpha = 0.35;
    ctx.fillStyle = COLOURS.plan;
    ctx.fillRect(rect.x, rect.y, rect.w, rect.h);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = COLOURS.plan;
    ctx.lineWidth = 2;
    ctx.strokeRect(rect.x + 1, rect.y + 1, Math.max(1, rect.w - 2), Math.max(1, rect.h - 2));
  } else {
    ctx.fillStyle = COLOURS[kind];
    ctx.fillRect(rect.x, rect.y, rect.w, rect.h);
  }
  ctx.globalAlpha = 1;
  return rect;
}

function frame() {
  drawRoll();
  requestAnimationFrame(frame);
}

// ---- start -------------------------------------------------------------------------------------

document.querySelectorAll("#controls button[data-action]").forEach((button) =>
  button.addEventListener("click", () => press(button.dataset.action, null, button)));
connect();
requestAnimationFrame(frame);
