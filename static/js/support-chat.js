/* The support chat, both sides (citizen page and operator console), and the console queue refresh.
 *
 * Messages carry a per-conversation number (seq) given in commit order, so asking for
 * `after=<largest seq shown>` never skips or repeats one, whichever server process answers and
 * however often the connection drops. Sent messages carry a random key: a retried send finds the
 * message the first try made. Text is always inserted with textContent: nothing becomes HTML.
 */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // The session ends after SESSION_COOKIE_AGE without activity (static/js/session-timeout.js counts
  // it in the page, shared across tabs in localStorage). Polls are not the person's activity: they
  // pause when the page has been idle that long minus the warning, so an unattended chat does not
  // keep a session open for ever; sending a message counts as activity.
  var ACTIVITY_KEY = "oms-session-activity";
  var pageLoadedAt = Date.now();

  function idleTooLong() {
    var dialog = document.getElementById("session-timeout");
    if (!dialog) return false;
    var idleMs = parseInt(dialog.dataset.idleSeconds, 10) * 1000;
    var warningMs = parseInt(dialog.dataset.warningSeconds, 10) * 1000;
    var stored = 0;
    try { stored = parseInt(window.localStorage.getItem(ACTIVITY_KEY) || "0", 10) || 0; } catch (error) { stored = 0; }
    return Date.now() - Math.max(pageLoadedAt, stored) > idleMs - warningMs;
  }

  function rememberActivity() {
    try { window.localStorage.setItem(ACTIVITY_KEY, String(Date.now())); } catch (error) { /* private mode */ }
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function setupChat(root) {
    var list = root.querySelector("[data-chat-list]");
    var form = root.querySelector("[data-chat-form]");
    var connection = root.querySelector("[data-chat-connection]");
    var errorBox = root.querySelector("[data-chat-error]");
    var hoursBox = root.querySelector("[data-chat-hours]");
    var side = root.dataset.side;
    var conversation = root.dataset.conversation || "";
    var lastSeq = parseInt(root.dataset.lastSeq || "0", 10);
    var pollMs = Math.max(1, parseInt(root.dataset.pollSeconds || "2", 10)) * 1000;
    var failures = 0;
    var timer = null;
    var polling = false;
    var seen = {};
    var pending = {}; // client key -> {text, element}

    Array.prototype.forEach.call(list.querySelectorAll("[data-seq]"), function (el) { seen[el.dataset.seq] = true; });

    function showError(text) {
      if (!errorBox) return;
      errorBox.textContent = text || "";
      errorBox.hidden = !text;
    }

    function messageElement(m) {
      var li = document.createElement("li");
      li.className = "chat-message chat-message-" + m.role;
      if (m.seq) li.dataset.seq = m.seq;
      if (m.author) {
        var author = document.createElement("span");
        author.className = "chat-author";
        author.textContent = m.author;
        li.appendChild(author);
      }
      var time = document.createElement("time");
      time.className = "chat-time";
      if (m.at) time.setAttribute("datetime", m.at);
      time.textContent = m.time || "";
      li.appendChild(time);
      var p = document.createElement("p");
      p.className = "chat-text";
      p.textContent = m.text;
      li.appendChild(p);
      return li;
    }

    function insert(m) {
      if (seen[m.seq]) return;
      seen[m.seq] = true;
      if (m.key && pending[m.key]) {
        pending[m.key].element.remove();
        delete pending[m.key];
      }
      var element = messageElement(m);
      // Keep seq order even if a batch ever arrives out of order; pending bubbles stay last.
      var before = null;
      Array.prototype.some.call(list.children, function (child) {
        if (!child.dataset.seq || parseInt(child.dataset.seq, 10) > m.seq) { before = child; return true; }
        return false;
      });
      list.insertBefore(element, before);
      if (m.seq > lastSeq) lastSeq = m.seq;
      root.dataset.lastSeq = String(lastSeq);
    }

    function schedule(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, delay);
    }

    function pollUrl() {
      var url = root.dataset.pollUrl;
      var params = "after=" + encodeURIComponent(lastSeq);
      if (side === "citizen") params += "&conversation=" + encodeURIComponent(conversation);
      return url + (url.indexOf("?") === -1 ? "?" : "&") + params;
    }

    function poll() {
      if (!conversation || polling || idleTooLong()) { schedule(pollMs); return; }
      polling = true;
      fetch(pollUrl(), { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          failures = 0;
          if (connection) connection.hidden = true;
          data.messages.forEach(insert);
          if (hoursBox && typeof data.hours_notice === "string") {
            hoursBox.textContent = data.hours_notice;
            hoursBox.hidden = !data.hours_notice;
          }
          var closed = data.conversation && data.conversation.status === "closed";
          if (closed && data.messages.length === 0) {
            // Closed on the other side: the page shows the rating form (citizen) or the queue link.
            window.location.reload();
            return;
          }
          polling = false;
          schedule(data.messages.length ? 0 : pollMs);
        })
        .catch(function () {
          polling = false;
          failures += 1;
          if (connection && failures > 1) connection.hidden = false;
          schedule(Math.min(pollMs * Math.pow(2, failures), 30000));
        });
    }

    function send(key) {
      var item = pending[key];
      if (!item) return;
      var body = new FormData(form);
      body.set("text", item.text);
      body.set("client_key", key);
      fetch(root.dataset.sendUrl, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, status: response.status, data: data }; },
            function () { return { ok: false, status: response.status, data: {} }; });
        })
        .then(function (result) {
          if (!result.ok) {
            if (result.status >= 500) throw new Error("HTTP " + result.status);
            // Refused (too long, too many, closed): keep the text so nothing typed is lost.
            showError(result.data.error || "");
            item.element.remove();
            delete pending[key];
            var textarea = form.querySelector("textarea[name=text]");
            if (textarea && !textarea.value) textarea.value = item.text;
            return;
          }
          showError("");
          rememberActivity();
          if (side === "citizen" && result.data.conversation) {
            var id = String(result.data.conversation.id);
            if (id !== conversation) {
              // A new conversation began (the last one was closed): start its numbering afresh.
              conversation = id;
              root.dataset.conversation = id;
              lastSeq = 0;
              seen = {};
              Array.prototype.forEach.call(list.querySelectorAll("[data-seq]"), function (el) { el.remove(); });
              var closedBox = root.querySelector("[data-chat-closed]");
              if (closedBox) closedBox.remove();
            }
          }
          // Don't insert the answer directly: an earlier message may not be shown yet. Poll now.
          schedule(0);
        })
        .catch(function () {
          // The answer was lost or the server is away: resend with the same key, it can't double.
          if (connection) connection.hidden = false;
          window.setTimeout(function () { send(key); }, Math.min(pollMs * 2, 10000));
        });
    }

    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var textarea = form.querySelector("textarea[name=text]");
        var text = textarea.value.trim();
        if (!text) return;
        var key = randomKey();
        var element = messageElement({ role: side, author: "", text: text, time: "…" });
        element.classList.add("chat-message-pending");
        list.appendChild(element);
        pending[key] = { text: text, element: element };
        textarea.value = "";
        textarea.focus();
        send(key);
      });
      var saved = form.querySelector("[data-saved-answers]");
      if (saved) {
        saved.addEventListener("change", function () {
          var option = saved.options[saved.selectedIndex];
          if (option && option.dataset.text) {
            var textarea = form.querySelector("textarea[name=text]");
            textarea.value = option.dataset.text;
            textarea.focus();
          }
        });
      }
    }

    if (root.dataset.closed !== "1") schedule(pollMs);
  }

  function setupQueue(table) {
    var rows = table.querySelector("[data-queue-rows]");
    var pollMs = Math.max(2, parseInt(table.dataset.pollSeconds || "2", 10)) * 1000;
    function refresh() {
      if (idleTooLong()) { window.setTimeout(refresh, pollMs); return; }
      fetch(table.dataset.refreshUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { if (!response.ok) throw new Error(); return response.text(); })
        .then(function (html) { rows.innerHTML = html; }) // server-rendered and escaped by Django
        .catch(function () {})
        .then(function () { window.setTimeout(refresh, pollMs); });
    }
    window.setTimeout(refresh, pollMs);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var chat = document.getElementById("chat");
    if (chat) setupChat(chat);
    var queue = document.getElementById("support-queue");
    if (queue) setupQueue(queue);
  });
})();
