// Registers the portal's service worker (served at /sw.js, scope "/") and forgets the saved policy
// page when the person logs out, so the next person on a shared device can't open it offline.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!("serviceWorker" in navigator) || !script) return;
  var workerUrl = script.getAttribute("data-service-worker");
  var logoutUrl = script.getAttribute("data-logout");
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(workerUrl, { scope: "/" }).catch(function () {});
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!logoutUrl || !form || form.getAttribute("action") !== logoutUrl || !("caches" in window)) return;
    // The portal's only caches are the service worker's: drop them all.
    caches.keys().then(function (keys) { keys.forEach(function (key) { caches.delete(key); }); });
  }, true);
})();
