/* Move focus to a form's error summary after a failed submit, so keyboard and screen-reader users
   hear what went wrong first. Progressive enhancement: without JavaScript the summary is still at
   the top of the form and announced by role="alert". Links in the summary focus their input. */
(function () {
  "use strict";
  function init() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) {
        return;
      }
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (input) {
        event.preventDefault();
        input.scrollIntoView({ block: "center" });
        input.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
