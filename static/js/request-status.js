/*
 * The request page asks for its status every few seconds (a light JSON poll) and, when the status
 * changed since the page was drawn, reloads it so the timeline, the dates and the one possible
 * action are right. Polling stops while the tab is hidden and after an error (logged out, offline).
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-request-status]");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.dataset.requestStatus;
  var shownStatus = root.dataset.status;
  var shownUpdatedAt = root.dataset.updatedAt;
  var delay = Math.max(5, parseInt(root.dataset.pollSeconds, 10) || 20) * 1000;
  var timer = null;

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, delay);
  }

  function poll() {
    if (document.hidden) {
      schedule();
      return;
    }
    window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, redirect: "error" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        if (data.status !== shownStatus || data.updated_at !== shownUpdatedAt) {
          var label = root.querySelector("[data-status-label]");
          if (label) {
            label.textContent = data.status_label;
          }
          window.location.reload();
          return;
        }
        schedule();
      })
      .catch(function () {
        /* logged out or offline: the session-timeout dialog and a reload take over */
      });
  }

  schedule();
})();
