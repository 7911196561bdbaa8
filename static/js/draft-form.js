/*
 * A session never eats the form: what the citizen types on a step is kept in this tab's
 * sessionStorage as they type. If the session ends before «Далее» (the idle timeout sends the page
 * to the login page), logging in brings them back to the same step, and the typed values are put
 * back into the empty form. The copy is removed once the step is saved on the server (its form is
 * submitted and the next page loads) or the page shows the server's own errors.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-draft-form]");
  if (!form || !window.sessionStorage) {
    return;
  }
  var key = "oms-draft-" + form.dataset.draftForm;

  function fields() {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name && element.name !== "csrfmiddlewaretoken" && !element.disabled && element.type !== "file";
    });
  }

  function save() {
    var values = {};
    fields().forEach(function (element) {
      if (element.type === "radio" || element.type === "checkbox") {
        if (element.checked) {
          values[element.name] = element.value;
        }
      } else {
        values[element.name] = element.value;
      }
    });
    try {
      window.sessionStorage.setItem(key, JSON.stringify(values));
    } catch (error) {
      /* storage full or blocked: the server's draft still has every saved step */
    }
  }

  function restore() {
    var stored = null;
    try {
      stored = JSON.parse(window.sessionStorage.getItem(key) || "null");
    } catch (error) {
      stored = null;
    }
    if (!stored || document.querySelector("[data-error-summary]")) {
      return;
    }
    fields().forEach(function (element) {
      if (!(element.name in stored)) {
        return;
      }
      if (element.type === "radio" || element.type === "checkbox") {
        element.checked = element.value === stored[element.name];
      } else {
        element.value = stored[element.name];
      }
    });
  }

  restore();
  form.addEventListener("input", save);
  form.addEventListener("change", save);
  form.addEventListener("submit", function () {
    // The server saves the step now; the page after it no longer needs this copy.
    window.sessionStorage.removeItem(key);
  });
})();
