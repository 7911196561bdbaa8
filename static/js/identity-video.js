/*
 * Identity verification: record a short selfie video with the open passport in the browser.
 *
 * Progressive enhancement: without a camera, MediaRecorder or DataTransfer the recorder stays
 * hidden and the plain file input works. The recording is attached to that same file input
 * (through DataTransfer), so the form posts it exactly like an uploaded file and the server
 * checks it the same way.
 */
(function () {
  "use strict";

  var root = document.getElementById("video-recorder");
  var input = document.getElementById("id_video");
  if (!root || !input) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia || !window.MediaRecorder ||
      typeof window.DataTransfer === "undefined") {
    return;
  }

  var preview = root.querySelector("[data-preview]");
  var startButton = root.querySelector("[data-start]");
  var stopButton = root.querySelector("[data-stop]");
  var retakeButton = root.querySelector("[data-retake]");
  var statusLine = root.querySelector("[data-status]");
  var maxSeconds = parseInt(root.getAttribute("data-max-seconds"), 10) || 15;
  var maxBytes = parseInt(root.getAttribute("data-max-bytes"), 10) || 50 * 1024 * 1024;

  var candidates = ["video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus", "video/webm", "video/mp4"];
  var mimeType = "";
  for (var i = 0; i < candidates.length; i++) {
    if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(candidates[i])) {
      mimeType = candidates[i];
      break;
    }
  }

  var stream = null;
  var recorder = null;
  var chunks = [];
  var timer = null;
  var startedAt = 0;
  var objectUrl = null;

  // Texts come from the page (data-msg-*), translated there like every other string.
  function message(key) {
    return root.dataset["msg" + key.charAt(0).toUpperCase() + key.slice(1)] || "";
  }

  function say(text) {
    statusLine.textContent = text;
  }

  // The buttons follow one state machine: idle -> asking -> recording -> recorded (-> asking ...).
  // A button that does not fit the state is hidden AND disabled; display is set too, because the
  // portal's .button rule (display: inline-flex) would otherwise beat the [hidden] attribute.
  var BUTTONS_BY_STATE = {
    idle: { start: true, stop: false, retake: false },
    asking: { start: false, stop: false, retake: false },
    recording: { start: false, stop: true, retake: false },
    recorded: { start: false, stop: false, retake: true }
  };
  var state = "idle";

  function show(button, visible) {
    button.hidden = !visible;
    button.disabled = !visible;
    button.style.display = visible ? "" : "none";
  }

  function setState(next) {
    var visible = BUTTONS_BY_STATE[next];
    state = next;
    root.setAttribute("data-state", next);
    show(startButton, visible.start);
    show(stopButton, visible.stop);
    show(retakeButton, visible.retake);
  }

  function stopStream() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
  }

  function tick() {
    var left = maxSeconds - Math.floor((Date.now() - startedAt) / 1000);
    if (left <= 0) {
      stopRecording();
      return;
    }
    say(message("recording").replace("{n}", left));
  }

  function attachRecording() {
    var type = (recorder && recorder.mimeType) || mimeType || "video/webm";
    var blob = new Blob(chunks, { type: type.split(";")[0] });
    chunks = [];
    if (blob.size > maxBytes) {
      say(message("tooBig"));
      setState("recorded");
      retakeButton.focus();
      return;
    }
    var extension = type.indexOf("mp4") !== -1 ? "mp4" : "webm";
    var file = new File([blob], "identity-video." + extension, { type: blob.type });
    var transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(blob);
    preview.srcObject = null;
    preview.src = objectUrl;
    preview.muted = false;
    preview.controls = true;
    var seconds = Math.max(1, Math.round((Date.now() - startedAt) / 1000));
    say(message("recorded").replace("{n}", seconds));
    setState("recorded");
    retakeButton.focus();
  }

  function stopRecording() {
    if (timer) {
      clearInterval(timer);
      timer = null;
    }
    if (state !== "recording") return;
    if (recorder && recorder.state !== "inactive") recorder.stop();
    // Until the recorder hands over the file (onstop), nothing can be pressed.
    setState("asking");
  }

  function startRecording() {
    if (state === "asking" || state === "recording") return;
    say(message("asking"));
    setState("asking");
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: "user", width: { ideal: 1280 }, height: { ideal: 720 } }, audio: true })
      .then(function (mediaStream) {
        stream = mediaStream;
        preview.controls = false;
        preview.muted = true;
        preview.removeAttribute("src");
        preview.srcObject = stream;
        preview.play().catch(function () {});
        var options = { videoBitsPerSecond: 1500000 };
        if (mimeType) options.mimeType = mimeType;
        recorder = new MediaRecorder(stream, options);
        recorder.ondataavailable = function (event) {
          if (event.data && event.data.size) chunks.push(event.data);
        };
        recorder.onstop = function () {
          stopStream();
          attachRecording();
        };
        chunks = [];
        startedAt = Date.now();
        recorder.start(1000);
        setState("recording");
        stopButton.focus();
        tick();
        timer = setInterval(tick, 500);
      })
      .catch(function (error) {
        stopStream();
        setState("idle");
        startButton.focus();
        if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) {
          say(message("denied"));
        } else if (error && error.name === "NotFoundError") {
          say(message("notFound"));
        } else {
          say(message("failed"));
        }
      });
  }

  startButton.addEventListener("click", startRecording);
  stopButton.addEventListener("click", stopRecording);
  retakeButton.addEventListener("click", function () {
    input.value = "";
    startRecording();
  });
  setState("idle");
  root.hidden = false;
})();
