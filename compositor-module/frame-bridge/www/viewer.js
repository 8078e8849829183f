// leasecast viewer: the frame bridge's WebSocket stream (one scanout's
// H.264, big-endian messages, see leasecast-frame-bridge(1)) decoded with
// WebCodecs and drawn to a canvas; the cursor on an overlay canvas.
//
// URL parameters: token=T (the bridge's --viewer-token), hw=no-preference|
// prefer-software|prefer-hardware, and a test mode: report=1 sends one JSON
// report over the WebSocket once frames=N frames are decoded and none came
// for settle=MS ms (or after timeout=SEC s): frames decoded, decoder errors,
// the first chunk's type, the codec string and the canvas colours at
// points=x,y;x,y;... (stream pixels).
'use strict';

const T_VIDEO = 0x01, T_KEYFRAME_REQ = 0x03, T_STREAM_INIT = 0x30, T_PING = 0x40, T_PONG = 0x41,
  T_CURSOR_IMAGE = 0x50, T_CURSOR_MOVE = 0x51, T_STATUS = 0x60;
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
  cursorImages: 0, cursorMoves: 0, status: '', rttMs: null, decodeMs: null,
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
  vctx.drawImage(frame, 0, 0, video.width, video.height);
  frame.close();
  stats.framesDecoded++;
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

function onMessage(ev) {
  if (typeof ev.data === 'string') return;
  const bytes = new Uint8Array(ev.data);
  if (bytes.length === 0) return;
  const dv = new DataView(ev.data);
  switch (bytes[0]) {
  case T_VIDEO:
    if (bytes.length > 15) onVideo(dv, bytes);
    break;
  case T_STREAM_INIT: {
    const n = bytes[6];
    stats.initCodec = new TextDecoder().decode(bytes.subarray(7, 7 + n));
    stats.width = dv.getUint16(2); stats.height = dv.getUint16(4);
    break;
  }
  case T_PONG:
    if (bytes.length >= 9) stats.rttMs = Math.round((performance.now() - dv.getFloat64(1)) * 10) / 10;
    break;
  case T_CURSOR_IMAGE: {
    const w = dv.getUint16(1), h = dv.getUint16(3);
    if (bytes.length < 9 + w * h * 4) break;
    cursor.img = new ImageData(new Uint8ClampedArray(bytes.slice(9, 9 + w * h * 4).buffer), w, h);
    cursor.hotX = dv.getInt16(5); cursor.hotY = dv.getInt16(7);
    stats.cursorImages++;
    drawCursor();
    break;
  }
  case T_CURSOR_MOVE:
    cursor.x = dv.getInt32(1); cursor.y = dv.getInt32(5); cursor.visible = bytes[9] === 1;
    stats.cursorMoves++;
    drawCursor();
    break;
  case T_STATUS:
    stats.status = new TextDecoder().decode(bytes.subarray(2));
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
  ws.onclose = () => { stats.status = 'disconnected'; needKey = true; setTimeout(connect, 1000); };
}

setInterval(() => {
  fps = fpsCount; fpsCount = 0;
  if (ws && ws.readyState === WebSocket.OPEN) {
    const p = new DataView(new ArrayBuffer(9));
    p.setUint8(0, T_PING); p.setFloat64(1, performance.now());
    ws.send(p.buffer);
  }
  statsEl.textContent = `${stats.width}x${stats.height} ${stats.codec || ''}  ${fps} fps\n` +
    `decode ${stats.decodeMs ?? '-'} ms  rtt ${stats.rttMs ?? '-'} ms\n` +
    `frames ${stats.framesDecoded}  errors ${stats.decoderErrors}  ${stats.status}`;
}, 1000);
setInterval(maybeReport, 100);

if (typeof VideoDecoder === 'undefined') {
  stats.errors.push('no WebCodecs VideoDecoder in this browser');
  statsEl.textContent = 'this browser has no WebCodecs VideoDecoder';
}
connect();
