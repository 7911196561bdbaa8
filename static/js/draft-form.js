/*
 * A session never eats the form: what the citizen types on a step is kept in this tab's
 * sessionStorage as they type. If the session ends before «Далее» (the idle timeout sends the page
 * to the login page), logging in brings them back to the same step, and the typed values are put
 * back into the empty form — also when «Далее» was pressed after the session had ended (that POST
 * was never saved). A step's copy is removed once a later step of the same draft loads (the server
 * saved it then); a page with the server's own errors shows what the server has instead.
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-draft-form]");
  if (!form || !window.sessionStorage) {
    return;
  }
  var key = "oms-draft-" + form.dataset.draftForm;
  var parts = form.dataset.draftForm.split("-");
  var draftId = parts[0];
  var step = parseInt(parts[1], 10);

  function forgetEarlierSteps() {
    try {
      for (var earlier = 1; earlier < step; earlier += 1) {
        window.sessionStorage.removeItem("oms-draft-" + draftId + "-" + earlier);
      }
    } catch (error) {
      /* storage blocked: nothing was kept */
    }
  }

  function fields() {
    return Array.prototype.filter.call(form.elements, function (element) {
      return element.name && element.name !== "csrfmiddlewaretoken" && !element.disabled && element.type !== "file" && element.type !== "hidden";
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

  // «Отправить заявку»: one click sends once (the server also treats a repeat of the same form as one).
  if (form.hasAttribute("data-submit-once")) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  }

  // Step 3: only the questions of the chosen kind of change are shown (all of them without script).
  function showChosenKind() {
    var chosen = form.querySelector("input[name=change_kind]:checked");
    Array.prototype.forEach.call(form.querySelectorAll("[data-for-kind]"), function (section) {
      section.hidden = !chosen || section.dataset.forKind !== chosen.value;
    });
  }

  forgetEarlierSteps();
  restore();
  if (form.querySelector("[data-for-kind]")) {
    showChosenKind();
    form.addEventListener("change", showChosenKind);
  }
  form.addEventListener("input", save);
  form.addEventListener("change", save);
})();
