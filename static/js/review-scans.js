// Zoom and rotate a scan on the reviewer's request page (no server round trip).
(function () {
  "use strict";
  document.querySelectorAll("[data-scan]").forEach(function (box) {
    var image = box.querySelector("[data-scan-image]");
    if (!image) return;
    var scale = 1;
    var angle = 0;
    function apply() {
      image.style.transform = "rotate(" + angle + "deg) scale(" + scale + ")";
      image.dataset.scale = String(scale);
      image.dataset.angle = String(angle);
    }
    box.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        scale = Math.min(6, Math.max(0.25, scale * parseFloat(button.dataset.zoom)));
        apply();
      });
    });
    box.querySelectorAll("[data-rotate]").forEach(function (button) {
      button.addEventListener("click", function () {
        angle = (angle + parseInt(button.dataset.rotate, 10)) % 360;
        apply();
      });
    });
    box.querySelectorAll("[data-reset]").forEach(function (button) {
      button.addEventListener("click", function () {
        scale = 1;
        angle = 0;
        apply();
      });
    });
  });
})();
