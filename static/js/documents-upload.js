/* Document slots (templates/documents/includes/_slot.html): progressive enhancement.
   Without JavaScript each slot is a plain multipart form with a «Загрузить» button, and a failed
   file has its own «Заменить файл» form. With it: a file uploads as soon as it is picked or dropped,
   with a progress bar; the slot is redrawn from the server's answer; while a scan is being checked
   the page asks /documents/status/ every few seconds and shows the verdict when it comes. A failed
   file is replaced on its own: the other files of the slot stay as they are. */
(function () {
  "use strict";
  if (window.omsDocumentSlots) {
    return;
  }
  window.omsDocumentSlots = true;

  var POLL_MS = 1500;
  var POLL_LIMIT = 120;
  var polling = {};

  function messagesOf(section) {
    return section.querySelector("[data-slot-messages]");
  }

  function say(section, lines, isError) {
    var box = messagesOf(section);
    if (!box) {
      return;
    }
    box.textContent = "";
    box.setAttribute("role", isError ? "alert" : "status");
    lines.forEach(function (line) {
      var p = document.createElement("p");
      p.className = isError ? "doc-message doc-message-error" : "doc-message";
      p.textContent = line;
      box.appendChild(p);
    });
  }

  function replaceSlots(slots, keepMessagesFor, lines, isError) {
    (slots || []).forEach(function (slot) {
      var old = document.querySelector('[data-doc-slot="' + slot.slot + '"]');
      if (!old) {
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = slot.html;
      var fresh = holder.querySelector("[data-doc-slot]");
      if (!fresh) {
        return;
      }
      old.replaceWith(fresh);
      bind(fresh);
      if (keepMessagesFor === slot.slot && lines && lines.length) {
        say(fresh, lines, isError);
      }
      if (slot.checking) {
        startPolling(fresh);
      }
    });
  }

  function upload(section, form, files, extra) {
    if (!files || !files.length) {
      return;
    }
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    data.append("next", form.querySelector("[name=next]").value);
    Object.keys(extra || {}).forEach(function (key) {
      data.append(key, extra[key]);
    });
    Array.prototype.forEach.call(files, function (file) {
      data.append("file", file, file.name);
    });
    var progress = section.querySelector("[data-progress]");
    var bar = progress && progress.querySelector("progress");
    var text = progress && progress.querySelector("[data-progress-text]");
    if (progress) {
      progress.hidden = false;
      bar.value = 0;
      text.textContent = "0 %";
    }
    section.setAttribute("aria-busy", "true");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (event) {
      if (event.lengthComputable && bar) {
        var percent = Math.round((event.loaded / event.total) * 100);
        bar.value = percent;
        text.textContent = percent + " %";
      }
    });
    xhr.addEventListener("load", function () {
      section.removeAttribute("aria-busy");
      var answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (error) {
        answer = null;
      }
      if (!answer || !answer.results) {
        if (progress) {
          progress.hidden = true;
        }
        say(section, [answer && answer.error ? answer.error : section.dataset.textError], true);
        return;
      }
      var lines = [];
      var failed = false;
      answer.results.forEach(function (result) {
        if (result.ok) {
          lines.push("«" + result.name + "»: " + section.dataset.textUploaded);
        } else {
          failed = true;
          lines.push((result.name ? "«" + result.name + "»: " : "") + result.message);
        }
      });
      replaceSlots(answer.slots, section.dataset.docSlot, lines, failed);
    });
    xhr.addEventListener("error", function () {
      section.removeAttribute("aria-busy");
      if (progress) {
        progress.hidden = true;
      }
      say(section, [section.dataset.textOffline], true);
    });
    xhr.send(data);
  }

  function startPolling(section) {
    var slot = section.dataset.docSlot;
    if (polling[slot]) {
      return;
    }
    var url = section.dataset.statusUrl;
    var left = POLL_LIMIT;
    polling[slot] = true;
    function tick() {
      left -= 1;
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.addEventListener("load", function () {
        var answer = null;
        try {
          answer = JSON.parse(xhr.responseText);
        } catch (error) {
          answer = null;
        }
        var mine = answer && (answer.slots || []).filter(function (item) {
          return item.slot === slot;
        })[0];
        if (!mine) {
          polling[slot] = false;
          return;
        }
        if (mine.checking && left > 0) {
          setTimeout(tick, POLL_MS);
          return;
        }
        polling[slot] = false;
        var verdicts = mine.documents.filter(function (d) {
          return d.status === "failed";
        }).map(function (d) {
          return d.verdict;
        });
        replaceSlots([mine], slot, verdicts.length ? verdicts : [section.dataset.textDone], verdicts.length > 0);
      });
      xhr.addEventListener("error", function () {
        polling[slot] = false;
      });
      xhr.send();
    }
    setTimeout(tick, POLL_MS);
  }

  function bind(section) {
    if (section.dataset.bound) {
      return;
    }
    section.dataset.bound = "1";
    section.classList.add("doc-js");
    var form = section.querySelector("[data-doc-upload]");
    if (form) {
      form.querySelectorAll("[data-no-js]").forEach(function (button) {
        button.hidden = true;
      });
      form.querySelectorAll("[data-js-only]").forEach(function (hint) {
        hint.hidden = false;
      });
      var input = form.querySelector("input[type=file]");
      input.addEventListener("change", function () {
        upload(section, form, input.files);
      });
      var zone = form.querySelector("[data-drop-zone]");
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) {
          event.preventDefault();
          zone.classList.add("doc-drop-over");
        });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function (event) {
          event.preventDefault();
          zone.classList.remove("doc-drop-over");
        });
      });
      zone.addEventListener("drop", function (event) {
        if (event.dataTransfer && event.dataTransfer.files.length) {
          upload(section, form, event.dataTransfer.files);
        }
      });
    }
    section.querySelectorAll("[data-doc-replace]").forEach(function (replaceForm) {
      replaceForm.querySelectorAll("[data-no-js]").forEach(function (button) {
        button.hidden = true;
      });
      var input = replaceForm.querySelector("input[type=file]");
      input.addEventListener("change", function () {
        upload(section, replaceForm, input.files, { replaces: replaceForm.querySelector("[name=replaces]").value });
      });
    });
    if (section.querySelector('[data-status="checking"]')) {
      startPolling(section);
    }
  }

  function init() {
    document.querySelectorAll("[data-doc-slot]").forEach(bind);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
