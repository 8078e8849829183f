// leasecast viewer: the frame bridge's WebSocket stream (one scanout's
// H.264 in Helix's protocol with leasecast's extensions, which this page
// asks for in its init; WS.md beside the bridge's code) decoded with
// WebCodecs and drawn to a canvas; the cursor on an overlay canvas.
//
// Input (WS.md beside the bridge's code): when the bridge says this viewer
// may control (Rights), keys (KeyboardEvent.code -> Linux evdev, one table
// below), pointer in the stream's pixels whatever the CSS scale, buttons,
// wheel in CSS pixels with the browser's sign (Helix's), touch, optional pointer lock (relative motion),
// ReleaseAll on blur, hide and pagehide, and a debounced "fit to window"
// Resize. Keys are captured only while the canvas has focus; the
// browser's own shortcuts (Ctrl+T, Ctrl+W, F5...) stay the browser's unless
// the "send shortcuts" box is ticked (or URL shortcuts=1).
//
// URL parameters: token=T (a control or view token), hw=no-preference|
// prefer-software|prefer-hardware, and a test mode: report=1 sends one JSON
// report over the WebSocket once frames=N frames are decoded and none came
// for settle=MS ms (or after timeout=SEC s): frames decoded, decoder errors,
// the first chunk's type, the codec string and the canvas colours at
// points=x,y;x,y;... (stream pixels). bench=photon: the input-to-photon
// bench (its section near the end says what it measures).
'use strict';

const T_VIDEO = 0x01, T_KEYFRAME_REQ = 0x03, T_STREAM_INIT = 0x30, T_STREAM_ERROR = 0x31,
  T_PING = 0x40, T_PONG = 0x41, T_CURSOR_IMAGE = 0x50, T_CURSOR_NAME = 0x51, T_STATUS = 0x60,
  T_INPUT_ERROR = 0x63, T_RIGHTS = 0x64;
const T_KEY = 0x10, T_MOUSE = 0x11, T_ABS = 0x12, T_REL = 0x13, T_TOUCH = 0x14, T_RESIZE = 0x61,
  T_RELEASE_ALL = 0x62;
const FLAG_KEY = 1, FLAG_REPLAY = 2;

const params = new URLSearchParams(location.search);
const testMode = params.get('report') === '1';
const wantFrames = Number(params.get('frames') || 30);
const settleMs = Number(params.get('settle') || 1500);
const timeoutMs = Number(params.get('timeout') || 60) * 1000;
const hw = params.get('hw') || 'no-preference';
const points = (params.get('points') || '').split(';').filter(Boolean)
  .map(p => p.split(',').map(Number));

const video = document.getElementById('video');
const vctx = video.getContext('2d');
const cursorCanvas = document.getElementById('cursor');
const cctx = cursorCanvas.getContext('2d');
const statsEl = document.getElementById('stats');

const stats = {
  framesDecoded: 0, chunks: 0, keyChunks: 0, replayChunks: 0, skippedChunks: 0,
  decoderErrors: 0, errors: [], firstChunkType: null, firstChunkReplay: null,
  codec: null, initCodec: null, width: 0, height: 0, configures: 0,
  cursorImages: 0, cursorMoves: 0, cursorName: null, status: '', rttMs: null, decodeMs: null,
  control: null, inputSent: 0, inputErrors: [],
  // Helix's handshake: ConnectionComplete's size, StreamErrors, the Pong's
  // figures (encoder latency and the bridge's scheduling p50/p99/max, ms).
  connectionComplete: null, streamErrors: [], pongFigures: null,
  // A size change (a Resize honoured, the guest's mode set): StreamInits
  // seen, and since the decoder was last configured the chunks given to
  // it, the frames it gave back and those not of the configured size
  // (which a clean reconfigure never shows).
  streamInits: 0, chunksSinceConfigure: 0, framesSinceConfigure: 0, wrongSizeFrames: 0,
};
const startedAt = performance.now();
let lastOutputAt = 0;
let decoder = null, decoderCodec = null, decoderW = 0, decoderH = 0;
let needKey = true;
let ws = null, reported = false;
const sentAt = new Map(); // chunk timestamp -> performance.now() at decode()
let fpsCount = 0, fps = 0;
let cursor = { img: null, hotX: 0, hotY: 0, x: 0, y: 0, visible: false };

// WebCodecs' codec string from the SPS: avc1.PPCCLL, bytes 1..3 of the NAL.
function codecFromAnnexB(au) {
  for (let i = 0; i + 7 < au.length; i++) {
    if (au[i] === 0 && au[i + 1] === 0 && au[i + 2] === 1) {
      if ((au[i + 3] & 0x1f) === 7) {
        const hex = b => b.toString(16).toUpperCase().padStart(2, '0');
        return 'avc1.' + hex(au[i + 4]) + hex(au[i + 5]) + hex(au[i + 6]);
      }
      i += 2;
    }
  }
  return null;
}

function onDecoded(frame) {
  const t0 = sentAt.get(frame.timestamp);
  if (t0 !== undefined) {
    stats.decodeMs = Math.round((performance.now() - t0) * 10) / 10;
    sentAt.delete(frame.timestamp);
  }
  if (frame.displayWidth !== decoderW || frame.displayHeight !== decoderH) stats.wrongSizeFrames++;
  vctx.drawImage(frame, 0, 0, video.width, video.height);
  if (bench) bench.onFrame(frame); // the bench section, below
  frame.close();
  stats.framesDecoded++;
  stats.framesSinceConfigure++;
  fpsCount++;
  lastOutputAt = performance.now();
}

function onDecoderError(e) {
  stats.decoderErrors++;
  if (stats.errors.length < 8) stats.errors.push(String(e && e.message || e));
  decoder = null; // a decoder that failed is closed: a new one on the next keyframe
  needKey = true;
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(new Uint8Array([T_KEYFRAME_REQ]));
}

function configure(codec, w, h) {
  if (decoder && decoder.state !== 'closed') decoder.close();
  decoder = new VideoDecoder({ output: onDecoded, error: onDecoderError });
  decoder.configure({ codec, codedWidth: w, codedHeight: h, optimizeForLatency: true,
    hardwareAcceleration: hw });
  decoderCodec = codec; decoderW = w; decoderH = h;
  stats.codec = codec; stats.configures++;
  stats.chunksSinceConfigure = stats.framesSinceConfigure = 0;
  if (video.width !== w || video.height !== h) {
    video.width = cursorCanvas.width = w;
    video.height = cursorCanvas.height = h;
    drawCursor();
  }
}

function onVideo(dv, bytes) {
  const flags = dv.getUint8(2);
  const pts = dv.getUint32(3) * 4294967296 + dv.getUint32(7);
  const w = dv.getUint16(11), h = dv.getUint16(13);
  const au = bytes.subarray(15);
  const key = (flags & FLAG_KEY) !== 0;
  stats.chunks++;
  if (key) stats.keyChunks++;
  if (flags & FLAG_REPLAY) stats.replayChunks++;
  if (stats.firstChunkType === null) {
    stats.firstChunkType = key ? 'key' : 'delta';
    stats.firstChunkReplay = (flags & FLAG_REPLAY) !== 0;
  }
  if (key) {
    const codec = codecFromAnnexB(au);
    if (!codec) { stats.skippedChunks++; return; }
    if (!decoder || decoder.state === 'closed' || codec !== decoderCodec || w !== decoderW ||
        h !== decoderH)
      configure(codec, w, h);
    needKey = false;
  }
  if (needKey || !decoder) { stats.skippedChunks++; return; }
  stats.chunksSinceConfigure++;
  sentAt.set(pts, performance.now());
  if (sentAt.size > 256) sentAt.delete(sentAt.keys().next().value);
  try {
    decoder.decode(new EncodedVideoChunk({ type: key ? 'key' : 'delta', timestamp: pts, data: au }));
  } catch (e) {
    onDecoderError(e);
  }
}

function drawCursor() {
  cctx.clearRect(0, 0, cursorCanvas.width, cursorCanvas.height);
  if (cursor.img && cursor.visible)
    cctx.putImageData(cursor.img, cursor.x - cursor.hotX, cursor.y - cursor.hotY);
}

function onText(text) {
  let o;
  try { o = JSON.parse(text); } catch (e) { return; }
  if (o && o.ConnectionComplete) {
    const c = o.ConnectionComplete;
    stats.connectionComplete = { width: c.width, height: c.height, touch: !!(c.capabilities || {}).touch };
  } else if (o && typeof o.error === 'string' && stats.streamErrors.length < 8) {
    stats.streamErrors.push(o.error);
  }
}

function onMessage(ev) {
  if (typeof ev.data === 'string') { onText(ev.data); return; }
  const bytes = new Uint8Array(ev.data);
  if (bytes.length === 0) return;
  const dv = new DataView(ev.data);
  switch (bytes[0]) {
  case T_VIDEO:
    if (bytes.length > 15) onVideo(dv, bytes);
    break;
  case T_STREAM_INIT: {
    if (bytes.length < 13) break;
    // Helix's 13 bytes, then leasecast's: u8 n, the codec string.
    const n = bytes.length > 13 ? bytes[13] : 0;
    stats.initCodec = new TextDecoder().decode(bytes.subarray(14, 14 + n));
    stats.width = dv.getUint16(2); stats.height = dv.getUint16(4);
    stats.streamInits++;
    // The bridge sends a new StreamInit only when the size or profile
    // changes, right before the new size's first keyframe, which
    // reconfigures the decoder and the canvases (onVideo/configure).
    break;
  }
  case T_STREAM_ERROR: {
    const n = bytes.length >= 3 ? dv.getUint16(1) : 0;
    if (stats.streamErrors.length < 8)
      stats.streamErrors.push(new TextDecoder().decode(bytes.subarray(3, 3 + n)));
    break;
  }
  case T_PONG: {
    if (bytes.length < 29) break;
    const sentUs = dv.getUint32(5) * 4294967296 + dv.getUint32(9);
    const hostUs = dv.getUint32(13) * 4294967296 + dv.getUint32(17);
    stats.rttMs = Math.round((performance.now() - sentUs / 1000) * 10) / 10;
    stats.pongFigures = { encoderMs: dv.getUint16(21), schedP50Ms: dv.getUint16(23),
      schedP99Ms: dv.getUint16(25), schedMaxMs: dv.getUint16(27) };
    if (bench) bench.onPong(sentUs / 1000, performance.now(), hostUs);
    break;
  }
  case T_CURSOR_IMAGE: {
    // Helix's layout, little-endian: position, hotspot, then (when
    // bitmapSize > 0) fourcc, size, stride and straight-alpha pixels.
    if (bytes.length < 25) break;
    cursor.x = dv.getInt32(5, true); cursor.y = dv.getInt32(9, true);
    cursor.hotX = dv.getInt32(13, true); cursor.hotY = dv.getInt32(17, true);
    const size = dv.getUint32(21, true);
    if (size >= 16 && bytes.length >= 25 + size) {
      const w = dv.getUint32(29, true), h = dv.getUint32(33, true);
      const stride = Math.abs(dv.getInt32(37, true));
      if (w > 0 && h > 0 && stride >= 4 * w && 16 + stride * h <= size) {
        const px = new Uint8ClampedArray(w * h * 4);
        for (let r = 0; r < h; r++) px.set(bytes.subarray(41 + r * stride, 41 + r * stride + 4 * w), r * 4 * w);
        cursor.img = new ImageData(px, w, h);
        cursor.visible = true;
        stats.cursorImages++;
      }
    } else {
      stats.cursorMoves++;
    }
    drawCursor();
    break;
  }
  case T_CURSOR_NAME: {
    if (bytes.length < 14) break;
    stats.cursorName = new TextDecoder().decode(bytes.subarray(14, 14 + bytes[13]));
    cursor.visible = stats.cursorName !== 'none';
    drawCursor();
    break;
  }
  case T_STATUS:
    stats.status = new TextDecoder().decode(bytes.subarray(2));
    break;
  case T_RIGHTS:
    stats.control = bytes[1] === 1;
    break;
  case T_INPUT_ERROR:
    if (stats.inputErrors.length < 16)
      stats.inputErrors.push({ code: bytes[1], text: new TextDecoder().decode(bytes.subarray(2)) });
    break;
  }
}

function samples() {
  return points.map(([x, y]) => {
    const d = vctx.getImageData(x, y, 1, 1).data;
    return { x, y, rgb: [d[0], d[1], d[2]] };
  });
}

function maybeReport() {
  if (!testMode || reported || !ws || ws.readyState !== WebSocket.OPEN) return;
  const now = performance.now();
  const settled = stats.framesDecoded >= wantFrames && now - lastOutputAt >= settleMs;
  if (!settled && now - startedAt < timeoutMs) return;
  reported = true;
  const r = Object.assign({}, stats, {
    timedOut: !settled, elapsedMs: Math.round(now - startedAt),
    canvas: [video.width, video.height], samples: samples(),
    userAgent: navigator.userAgent,
  });
  ws.send(JSON.stringify(r));
}

function connect() {
  const token = params.get('token');
  const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/stream' +
    (token ? '?token=' + encodeURIComponent(token) : '');
  ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  ws.onmessage = onMessage;
  ws.onopen = () => {
    // Helix's first message, with leasecast's extensions asked for; no
    // keepalive (this page has no render-stall watchdog), no size (the
    // output keeps its own unless "fit to window" asks).
    ws.send(JSON.stringify({ type: 'init', leasecast: 1, keepalive: false,
      video_supported_formats: 1 }));
    if (fitBox && fitBox.checked) setTimeout(requestFit, 100);
  };
  ws.onclose = () => { stats.status = 'disconnected'; needKey = true; setTimeout(connect, 1000); };
}

setInterval(() => {
  fps = fpsCount; fpsCount = 0;
  if (ws && ws.readyState === WebSocket.OPEN) sendPing();
  statsEl.textContent = `${stats.width}x${stats.height} ${stats.codec || ''}  ${fps} fps\n` +
    `decode ${stats.decodeMs ?? '-'} ms  rtt ${stats.rttMs ?? '-'} ms\n` +
    `frames ${stats.framesDecoded}  errors ${stats.decoderErrors}  ${stats.status}\n` +
    (stats.control === null ? '' : stats.control ? 'control' : 'view only');
}, 1000);
setInterval(maybeReport, 100);

// Helix's Ping: u8 type, u32 seq, u64 the page's clock in µs.
let pingSeq = 0;
function sendPing() {
  const p = new DataView(new ArrayBuffer(13));
  const us = Math.floor(performance.now() * 1000);
  p.setUint8(0, T_PING); p.setUint32(1, pingSeq++ >>> 0);
  p.setUint32(5, Math.floor(us / 4294967296)); p.setUint32(9, us >>> 0);
  ws.send(p.buffer);
}

// ---- input ----

// KeyboardEvent.code -> Linux evdev KEY_* (include/uapi/linux/input-event-codes.h).
const EVDEV = (() => {
  const m = {
    Escape: 1, Minus: 12, Equal: 13, Backspace: 14, Tab: 15, BracketLeft: 26, BracketRight: 27,
    Enter: 28, ControlLeft: 29, Semicolon: 39, Quote: 40, Backquote: 41, ShiftLeft: 42,
    Backslash: 43, Comma: 51, Period: 52, Slash: 53, ShiftRight: 54, NumpadMultiply: 55,
    AltLeft: 56, Space: 57, CapsLock: 58, NumLock: 69, ScrollLock: 70, Numpad7: 71, Numpad8: 72,
    Numpad9: 73, NumpadSubtract: 74, Numpad4: 75, Numpad5: 76, Numpad6: 77, NumpadAdd: 78,
    Numpad1: 79, Numpad2: 80, Numpad3: 81, Numpad0: 82, NumpadDecimal: 83, IntlBackslash: 86,
    F11: 87, F12: 88, IntlRo: 89, NumpadEnter: 96, ControlRight: 97, NumpadDivide: 98,
    PrintScreen: 99, AltRight: 100, Home: 102, ArrowUp: 103, PageUp: 104, ArrowLeft: 105,
    ArrowRight: 106, End: 107, ArrowDown: 108, PageDown: 109, Insert: 110, Delete: 111,
    AudioVolumeMute: 113, AudioVolumeDown: 114, AudioVolumeUp: 115, NumpadEqual: 117,
    Pause: 119, NumpadComma: 121, IntlYen: 124, MetaLeft: 125, MetaRight: 126,
    ContextMenu: 127, F13: 183, F14: 184, F15: 185, F16: 186, F17: 187, F18: 188, F19: 189,
    F20: 190, F21: 191, F22: 192, F23: 193, F24: 194,
  };
  // Letters and digits by their row on the keyboard, F1..F10.
  'QWERTYUIOP'.split('').forEach((c, i) => { m['Key' + c] = 16 + i; });
  'ASDFGHJKL'.split('').forEach((c, i) => { m['Key' + c] = 30 + i; });
  'ZXCVBNM'.split('').forEach((c, i) => { m['Key' + c] = 44 + i; });
  '1234567890'.split('').forEach((c, i) => { m['Digit' + c] = 2 + i; });
  for (let i = 1; i <= 10; i++) m['F' + i] = 58 + i;
  return m;
})();

const shortcutsBox = document.getElementById('shortcuts');
if (shortcutsBox && params.get('shortcuts') === '1') shortcutsBox.checked = true;
const lockBox = document.getElementById('lock');
const fitBox = document.getElementById('fit');
const held = new Set(); // evdev codes this page pressed
const buttonsHeld = new Set();

function canControl() { return stats.control === true && ws && ws.readyState === WebSocket.OPEN; }

function sendInput(bytes) {
  if (!canControl()) return false;
  ws.send(bytes);
  stats.inputSent++;
  return true;
}

function releaseAll() {
  held.clear();
  buttonsHeld.clear();
  if (ws && ws.readyState === WebSocket.OPEN && stats.control) ws.send(new Uint8Array([T_RELEASE_ALL]));
}

// The browser's own shortcuts stay the browser's unless opted in.
function isBrowserShortcut(e) {
  if (shortcutsBox && shortcutsBox.checked) return false;
  if (e.ctrlKey || e.metaKey) return /^(Key[TWNRLQ]|Tab|PageUp|PageDown)$/.test(e.code);
  return e.code === 'F5' || e.code === 'F11' || e.code === 'F12';
}

function onKey(e, down) {
  const code = EVDEV[e.code];
  if (code === undefined || !canControl()) return;
  if (down && isBrowserShortcut(e)) return;
  e.preventDefault(); // only reached while the canvas has focus (listeners are on it)
  // The guest's compositor repeats a held key itself; the browser's
  // repeats on top would double it.
  if (down && e.repeat) return;
  if (!down && !held.has(code)) return;
  if (down) held.add(code); else held.delete(code);
  const b = new Uint8Array(6);
  b[0] = T_KEY; b[1] = 0; b[2] = down ? 1 : 0;
  b[3] = (e.shiftKey ? 1 : 0) | (e.ctrlKey ? 2 : 0) | (e.altKey ? 4 : 0) | (e.metaKey ? 8 : 0);
  b[4] = code >> 8; b[5] = code & 0xff;
  sendInput(b);
}

// A page point -> the stream pixel under it, whatever the CSS scale.
function streamPoint(clientX, clientY) {
  const r = video.getBoundingClientRect();
  const w = video.width, h = video.height;
  const x = Math.floor((clientX - r.left) / r.width * w);
  const y = Math.floor((clientY - r.top) / r.height * h);
  return [Math.max(0, Math.min(w - 1, x)), Math.max(0, Math.min(h - 1, y)), w, h];
}

function sendAbs(clientX, clientY) {
  const [x, y, w, h] = streamPoint(clientX, clientY);
  const b = new DataView(new ArrayBuffer(10));
  b.setUint8(0, T_ABS); b.setUint8(1, 1);
  b.setInt16(2, x); b.setInt16(4, y); b.setInt16(6, w); b.setInt16(8, h);
  sendInput(b.buffer);
}

function sendRel(dx, dy) {
  const b = new DataView(new ArrayBuffer(6));
  b.setUint8(0, T_REL); b.setUint8(1, 0);
  b.setInt16(2, Math.max(-32768, Math.min(32767, Math.round(dx))));
  b.setInt16(4, Math.max(-32768, Math.min(32767, Math.round(dy))));
  sendInput(b.buffer);
}

// DOM buttons 0 left, 1 middle, 2 right, 3 back, 4 forward -> Helix's 1..5.
const HELIX_BUTTON = [1, 2, 3, 4, 5];

function onPointerButton(e, down) {
  if (e.pointerType === 'touch' || !canControl()) return;
  const btn = HELIX_BUTTON[e.button];
  if (btn === undefined) return;
  e.preventDefault();
  if (down) video.focus();
  if (!locked()) sendAbs(e.clientX, e.clientY);
  if (!down && !buttonsHeld.has(btn)) return;
  if (down) buttonsHeld.add(btn); else buttonsHeld.delete(btn);
  sendInput(new Uint8Array([T_MOUSE, 2, down ? 1 : 0, btn]));
}

function locked() { return document.pointerLockElement === video; }

function onPointerMove(e) {
  if (e.pointerType === 'touch' || !canControl()) return;
  if (locked()) sendRel(e.movementX, e.movementY);
  else sendAbs(e.clientX, e.clientY);
}

// Wheel: CSS pixels (a line 40 px, a page the page's height) with the
// browser's sign, y > 0 down, as Helix's client sends them.
function onWheel(e) {
  if (!canControl()) return;
  e.preventDefault();
  const k = e.deltaMode === 1 ? 40 : e.deltaMode === 2 ? window.innerHeight : 1;
  const clamp = v => Math.max(-12000, Math.min(12000, v));
  const b = new DataView(new ArrayBuffer(10));
  b.setUint8(0, T_MOUSE); b.setUint8(1, 3);
  b.setFloat32(2, clamp(e.deltaX * k), true);
  b.setFloat32(6, clamp(e.deltaY * k), true);
  sendInput(b.buffer);
}

function onTouch(e, event) {
  if (!canControl()) return;
  e.preventDefault();
  const r = video.getBoundingClientRect();
  for (const t of e.changedTouches) {
    const b = new DataView(new ArrayBuffer(11));
    b.setUint8(0, T_TOUCH); b.setUint8(1, event); b.setUint8(2, t.identifier & 0xff);
    b.setFloat32(3, (t.clientX - r.left) / r.width, true);
    b.setFloat32(7, (t.clientY - r.top) / r.height, true);
    sendInput(b.buffer);
  }
}

// "Fit to window": ask for the output to be the size of the page, in device
// pixels, once the window stops changing for 500 ms.
let fitTimer = null, lastFit = '';
function requestFit() {
  if (!fitBox || !fitBox.checked || !canControl()) return;
  clearTimeout(fitTimer);
  fitTimer = setTimeout(() => {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(64, Math.min(8192, Math.round(window.innerWidth * dpr) & ~7));
    const h = Math.max(64, Math.min(8192, Math.round(window.innerHeight * dpr)));
    if (w + 'x' + h === lastFit) return;
    lastFit = w + 'x' + h;
    const b = new DataView(new ArrayBuffer(5));
    b.setUint8(0, T_RESIZE); b.setUint16(1, w); b.setUint16(3, h);
    sendInput(b.buffer);
  }, 500);
}

video.tabIndex = 0;
video.addEventListener('keydown', e => onKey(e, true));
video.addEventListener('keyup', e => onKey(e, false));
video.addEventListener('pointerdown', e => onPointerButton(e, true));
video.addEventListener('pointerup', e => onPointerButton(e, false));
video.addEventListener('pointermove', onPointerMove);
video.addEventListener('contextmenu', e => { if (canControl()) e.preventDefault(); });
video.addEventListener('wheel', onWheel, { passive: false });
video.addEventListener('touchstart', e => onTouch(e, 0), { passive: false });
video.addEventListener('touchmove', e => onTouch(e, 1), { passive: false });
video.addEventListener('touchend', e => onTouch(e, 2), { passive: false });
video.addEventListener('touchcancel', e => onTouch(e, 3), { passive: false });
video.addEventListener('click', () => { if (lockBox && lockBox.checked && !locked()) video.requestPointerLock(); });
video.addEventListener('blur', releaseAll);
window.addEventListener('blur', releaseAll);
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'hidden') releaseAll(); });
window.addEventListener('pagehide', releaseAll);
window.addEventListener('resize', requestFit);
if (fitBox) {
  if (params.get('fit') === '1') fitBox.checked = true;
  fitBox.addEventListener('change', () => { lastFit = ''; requestFit(); });
}

// ---- bench: input-to-photon (bench/RESULTS.md, tests/vm/scenarios/bench-photon.py) ----
// ?bench=photon: the page measures, for presses=N key presses (key=CODE,
// default KeyA), the time from its own keydown (dispatched on the canvas,
// so through onKey and the WebSocket like a typed key) to the first decoded
// frame whose colour at the sample point (x=,y= fractions of the picture,
// default 0.37, 0.41) changed: the guest's client repaints on each press.
// The frame's pts (the bridge's host CLOCK_MONOTONIC µs of the damage,
// WS.md) is mapped into page time with a clock sync on Ping/Pong (the
// min-RTT sample of 20, before and after the run), which splits each press
// into page->damage-on-host and host->decoded-in-page. window.benchPhoton
// holds the state; benchPhoton.run() starts the presses (the host driver
// calls it through CDP), benchPhoton.sync() a clock sync alone and
// benchPhoton.waitChange() the next colour change (for a baseline whose
// presses come from elsewhere: every change is kept in benchPhoton.changes).
let bench = null;
if (params.get('bench') === 'photon') {
  const presses = Number(params.get('presses') || 300);
  const keyCode = params.get('key') || 'KeyA';
  const fx = Number(params.get('x') || 0.37), fy = Number(params.get('y') || 0.41);
  const pressTimeoutMs = Number(params.get('press_timeout') || 3000);
  const oc = new OffscreenCanvas(4, 4);
  const octx = oc.getContext('2d', { willReadFrequently: true });
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  let last = null; // the previous frame's colour
  let pongs = null; // samples while a sync runs
  bench = {
    state: 'idle', changes: [], frames: 0, syncs: [], result: null, error: null,
    // A colour change between two decoded frames: H.264 keeps a flat
    // colour within a few levels, the palette's neighbours differ by 144+.
    onFrame(frame) {
      const w = frame.displayWidth, h = frame.displayHeight;
      octx.drawImage(frame, Math.floor(w * fx), Math.floor(h * fy), 4, 4, 0, 0, 4, 4);
      const d = octx.getImageData(0, 0, 4, 4).data;
      const c = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) c[k] += d[i + k] / 16;
      this.frames++;
      if (last && Math.abs(c[0] - last[0]) + Math.abs(c[1] - last[1]) + Math.abs(c[2] - last[2]) > 80)
        this.changes.push({ t_ms: performance.now(), pts_us: frame.timestamp, rgb: c.map(Math.round) });
      last = c;
    },
    onPong(sentMs, nowMs, hostUs) {
      if (pongs) pongs.push({ rtt_ms: nowMs - sentMs, off_ms: (sentMs + nowMs) / 2 - hostUs / 1000 });
    },
    // page time = host CLOCK_MONOTONIC ms + off_ms, from the quickest of n
    // round trips (its host stamp is nearest the middle).
    async sync(n = 20) {
      pongs = [];
      for (let i = 0; i < n; i++) {
        sendPing();
        await sleep(25);
      }
      await sleep(200);
      const got = pongs;
      pongs = null;
      if (got.length === 0) throw new Error('no Pong with the bridge clock (an older bridge?)');
      got.sort((a, b) => a.rtt_ms - b.rtt_ms);
      const s = { n: got.length, rtt_ms: got[0].rtt_ms, off_ms: got[0].off_ms,
        rtt_p50_ms: got[got.length >> 1].rtt_ms };
      this.syncs.push(s);
      return s;
    },
    // Resolves with changes[n] once there is one, null after ms: the
    // host's baseline waits in one call, without polling the page.
    async waitChange(n, ms) {
      const t0 = performance.now();
      while (this.changes.length <= n && performance.now() - t0 < ms) await sleep(1);
      return this.changes.length > n ? this.changes[n] : null;
    },
    key(down) {
      video.dispatchEvent(new KeyboardEvent(down ? 'keydown' : 'keyup',
        { code: keyCode, bubbles: true, cancelable: true }));
    },
    async run() {
      try {
        this.state = 'sync';
        const s0 = await this.sync();
        this.state = 'run';
        const out = [];
        let misses = 0;
        for (let i = 0; i < presses; i++) {
          const before = this.changes.length, sent = stats.inputSent;
          const t0 = performance.now();
          this.key(true);
          if (stats.inputSent !== sent + 1) throw new Error('the press was not sent (no control right?)');
          // Released once the change is seen (as the host's baseline does):
          // a release on its way while the guest repaints would load the
          // one TCG vCPU inside the measured time.
          const c = await this.waitChange(before, pressTimeoutMs);
          this.key(false);
          if (!c) {
            misses++;
            await sleep(500); // a late change must not count for the next press
            continue;
          }
          out.push({ t0_ms: t0, t2_ms: c.t_ms, pts_us: c.pts_us });
          await sleep(30 + Math.random() * 90);
        }
        const s1 = await this.sync();
        this.result = { presses, misses, samples: out, sync_before: s0, sync_after: s1,
          frames: this.frames, width: stats.width, height: stats.height,
          userAgent: navigator.userAgent };
        this.state = 'done';
      } catch (e) {
        this.error = String(e && e.message || e);
        this.state = 'failed';
      }
    },
  };
  window.benchPhoton = bench;
}

if (typeof VideoDecoder === 'undefined') {
  stats.errors.push('no WebCodecs VideoDecoder in this browser');
  statsEl.textContent = 'this browser has no WebCodecs VideoDecoder';
}
connect();
