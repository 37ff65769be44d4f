// daogou storefront: push-to-talk voice. Hold a microphone button (or click to start, click to stop); the
// recording goes to /api/speech. Search: the transcript lands in the search box, editable, and the search runs
// after a short pause unless the shopper starts editing it. Chat: the transcript is sent as the shopper's turn.
// Uses app.js's globals ($, state, t, run, api).
"use strict";

const VOICE_I18N = {
  en: { micTitle: "Hold to speak (or click to start and stop)", listening: "Listening… release to search",
        recognising: "Recognising…", heard: (text) => `Heard “${text}” — searching… (edit it to change)`,
        edited: "Edit the words and press Search", noMic: "No microphone available on this device or page" },
  zh: { micTitle: "按住说话（或点击开始、再次点击结束）", listening: "正在听…松开即搜索",
        recognising: "识别中…", heard: (text) => `听到“${text}”——即将搜索…（可修改）`,
        edited: "修改文字后点击搜索", noMic: "此设备或页面无法使用麦克风" },
};
const vt = (key) => VOICE_I18N[state.lang][key];
const MAX_RECORDING_MS = 30000;
const RUN_AFTER_MS = 1200;
const MIN_RECORDING_MS = 300;
const voice = { recorder: null, chunks: [], started: 0, pending: null, holding: false };

function voiceStatus(text) { $("voice-status").textContent = text; $("voice-status").hidden = !text; }

async function startRecording(button, onHeard) {
  if (voice.recorder) return;
  clearTimeout(voice.pending);
  if (!navigator.mediaDevices || !window.MediaRecorder) { voiceStatus(vt("noMic")); return; }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true } });
  } catch (error) {
    voiceStatus(vt("noMic"));
    return;
  }
  const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4"].find((m) => MediaRecorder.isTypeSupported(m)) || "";
  const recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
  voice.recorder = recorder;
  voice.chunks = [];
  voice.started = Date.now();
  recorder.ondataavailable = (event) => { if (event.data.size) voice.chunks.push(event.data); };
  recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    const blob = new Blob(voice.chunks, { type: recorder.mimeType || "audio/webm" });
    voice.recorder = null;
    button.classList.remove("recording");
    if (Date.now() - voice.started < MIN_RECORDING_MS) { voiceStatus(vt("micTitle")); return; }
    transcribe(blob, onHeard);
  };
  recorder.start();
  button.classList.add("recording");
  voiceStatus(vt("listening"));
  setTimeout(() => { if (voice.recorder === recorder) recorder.stop(); }, MAX_RECORDING_MS);
}

function stopRecording() {
  if (voice.recorder && voice.recorder.state === "recording") voice.recorder.stop();
}

async function transcribe(blob, onHeard) {
  voiceStatus(vt("recognising"));
  const form = new FormData();
  form.append("audio", blob, blob.type.includes("ogg") ? "voice.ogg" : blob.type.includes("mp4") ? "voice.m4a" : "voice.webm");
  form.append("lang", state.lang);
  try {
    const heard = await api("/api/speech", { method: "POST", body: form });
    onHeard(heard.transcript);
  } catch (error) {
    voiceStatus(error.message);
  }
}

function heardForSearch(text) {
  $("q").value = text;
  voiceStatus(vt("heard")(text));
  // the transcript is shown and editable first; typing in the box cancels the automatic search
  voice.pending = setTimeout(() => { voiceStatus(""); $("search-form").requestSubmit(); }, RUN_AFTER_MS);
}

function heardForChat(text) {
  voiceStatus("");
  $("chat-text").value = text;
  $("chat-form").requestSubmit();
}

// push-to-talk: a long press records while held; a short click starts, the next click stops
function bindMic(button, onHeard) {
  button.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    if (voice.recorder) { stopRecording(); return; }
    voice.holding = true;
    button.setPointerCapture(event.pointerId);  // a held press stays on the button even if the pointer drifts
    startRecording(button, onHeard);
  });
  button.addEventListener("pointerup", () => {
    if (voice.holding && Date.now() - voice.started > 400) stopRecording();
    voice.holding = false;
  });
  button.addEventListener("pointerleave", () => { if (voice.holding) { voice.holding = false; stopRecording(); } });
  button.addEventListener("keydown", (event) => {
    if (event.key !== " " && event.key !== "Enter") return;
    event.preventDefault();
    if (voice.recorder) stopRecording(); else startRecording(button, onHeard);
  });
}
bindMic($("mic"), heardForSearch);
bindMic($("chat-mic"), heardForChat);
$("q").addEventListener("input", () => {
  if (voice.pending) { clearTimeout(voice.pending); voice.pending = null; voiceStatus(vt("edited")); }
});
$("search-form").addEventListener("submit", () => { clearTimeout(voice.pending); voice.pending = null; });
function applyVoiceLanguage() {
  for (const id of ["mic", "chat-mic"]) {
    $(id).title = vt("micTitle");
    $(id).setAttribute("aria-label", vt("micTitle"));
  }
}
$("lang").addEventListener("click", applyVoiceLanguage);
applyVoiceLanguage();
