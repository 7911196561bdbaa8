// The bell's newest messages: fetched when the bell is first opened (notifications:bell), so pages
// do not carry them hidden. Without this script the open bell still links to the inbox.
(function () {
  "use strict";
  document.querySelectorAll("details.bell-menu").forEach(function (menu) {
    var box = menu.querySelector("[data-bell-items]");
    if (!box) return;
    var loaded = false;
    menu.addEventListener("toggle", function () {
      if (!menu.open || loaded) return;
      loaded = true;
      // redirect: "error" — an ended session answers with the login page, which must not land here.
      fetch(box.dataset.url, { credentials: "same-origin", redirect: "error", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          box.innerHTML = html;
        })
        .catch(function () {
          loaded = false;
        });
    });
  });
})();
