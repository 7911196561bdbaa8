/*
 * Session timeout warning (WCAG 2.2.1 Timing Adjustable).
 *
 * The server ends a session after SESSION_COOKIE_AGE seconds without a request. This script counts
 * the same time in the page; `warning` seconds before the end it opens an alert dialog with one
 * button, «Продлить сеанс», which sends a keep-alive request (any request moves the server's expiry
 * forward). When time runs out the page goes to the login page with ?next=<this page>, so logging
 * in again brings the person back here. Other tabs of the portal share the last-activity time
 * through localStorage, so activity in one tab is not cut short by a timer in another.
 */
(function () {
  "use strict";

  var dialog = document.getElementById("session-timeout");
  if (!dialog) {
    return;
  }
  var idleMs = parseInt(dialog.dataset.idleSeconds, 10) * 1000;
  var warningMs = parseInt(dialog.dataset.warningSeconds, 10) * 1000;
  var storageKey = "oms-session-activity";
  var countdown = dialog.querySelector("[data-countdown]");
  var extendButton = dialog.querySelector("[data-extend]");
  var errorText = dialog.querySelector("[data-error]");
  var lastActivity = Date.now();
  var previousFocus = null;
  var tick = null;

  function rememberActivity(time) {
    lastActivity = time;
    try {
      window.localStorage.setItem(storageKey, String(time));
    } catch (error) {
      /* private mode: this tab alone counts */
    }
  }

  function sharedActivity() {
    var stored = 0;
    try {
      stored = parseInt(window.localStorage.getItem(storageKey) || "0", 10);
    } catch (error) {
      stored = 0;
    }
    return Math.max(lastActivity, stored || 0);
  }

  function format(ms) {
    var seconds = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function openDialog() {
    if (!dialog.hidden) {
      return;
    }
    previousFocus = document.activeElement;
    errorText.hidden = true;
    dialog.hidden = false;
    // The page behind the modal dialog can't be reached by keyboard, pointer or screen reader.
    setBackgroundInert(true);
    extendButton.focus();
  }

  function setBackgroundInert(inert) {
    Array.prototype.forEach.call(document.body.children, function (element) {
      if (element !== dialog && element.tagName !== "SCRIPT") {
        element.inert = inert;
      }
    });
  }

  function closeDialog() {
    dialog.hidden = true;
    setBackgroundInert(false);
    if (previousFocus && typeof previousFocus.focus === "function") {
      previousFocus.focus();
    }
  }

  function goToLogin() {
    var next = window.location.pathname + window.location.search + window.location.hash;
    window.location.assign(dialog.dataset.loginUrl + "?next=" + encodeURIComponent(next));
  }

  function check() {
    var left = sharedActivity() + idleMs - Date.now();
    if (left <= 0) {
      window.clearInterval(tick);
      goToLogin();
      return;
    }
    if (left <= warningMs) {
      countdown.textContent = format(left);
      openDialog();
    } else if (!dialog.hidden) {
      closeDialog();
    }
  }

  // The page's CSRF token, from the dialog's own logout form (the rest of the dialog is the same
  // for every page and is cached by the server).
  function csrfToken() {
    var field = dialog.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function extend() {
    extendButton.disabled = true;
    fetch(dialog.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (response.status === 401) {
          goToLogin();
          return;
        }
        if (!response.ok) {
          throw new Error("keep-alive failed: " + response.status);
        }
        rememberActivity(Date.now());
        closeDialog();
      })
      .catch(function () {
        errorText.hidden = false;
      })
      .then(function () {
        extendButton.disabled = false;
      });
  }

  extendButton.addEventListener("click", extend);
  dialog.addEventListener("keydown", function (event) {
    // Keep focus inside the dialog while it is open (aria-modal).
    if (event.key === "Tab") {
      var focusable = dialog.querySelectorAll("button:not([disabled])");
      var first = focusable[0];
      var last = focusable[focusable.length - 1];
      if (event.shiftKey && document.activeElement === first) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === "Escape") {
      extend();
    }
  });

  rememberActivity(Date.now());
  tick = window.setInterval(check, 1000);
})();
