// «Мой полис»: the print button, and saving this page with its styles for offline use once the
// service worker is active (static/js/pwa.js registers it; templates/portal/sw.js serves the copy).
(function () {
  "use strict";
  var printButton = document.querySelector("[data-print]");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });

  var root = document.querySelector("[data-offline-cache]");
  if (!root || !("serviceWorker" in navigator) || !("caches" in window)) return;
  var cacheName = root.getAttribute("data-offline-cache");
  var assets = Array.prototype.map.call(
    document.querySelectorAll("link[rel='stylesheet'][href], link[rel='icon'][href], script[src]"),
    function (element) { return element.href || element.src; }
  );
  navigator.serviceWorker.ready
    .then(function () { return caches.open(cacheName); })
    .then(function (cache) {
      // Only the page itself and the files it loads: the QR code is inside the page (a data: URI).
      return cache.addAll([window.location.pathname].concat(assets));
    })
    .then(function () {
      document.documentElement.setAttribute("data-offline-ready", "true");
      var status = document.querySelector("[data-offline-status]");
      if (status) status.hidden = false;
    })
    .catch(function () {});
})();
