/* Progressive enhancement for every page; each page works without it.
   Loaded from 'self' (the CSP allows no inline script). */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  /* The menu button: on narrow screens the navigation folds away behind it. */
  function setUpMenu() {
    var button = document.querySelector(".menu-button");
    var menu = document.getElementById("topbar-menu");
    if (!button || !menu) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("is-open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        button.setAttribute("aria-expanded", "false");
        menu.classList.remove("is-open");
        button.focus();
      }
    });
  }

  /* The language applies as soon as it is chosen; the button stays for pages without JS. */
  function setUpLanguage() {
    var select = document.getElementById("language-select");
    if (!select || !select.form) return;
    select.addEventListener("change", function () {
      select.form.requestSubmit();
    });
  }

  /* A form that came back with errors: focus its error summary, else its first invalid field. */
  function focusErrors(root) {
    var target = root.querySelector(".error-summary") ||
      root.querySelector("[aria-invalid=true]") ||
      root.querySelector(".alert-error");
    if (target) target.focus();
  }

  /* Wizard step 3: the channel line and the e-mail fields follow the checkboxes. */
  function syncLoginStep(root) {
    var withoutMobile = root.querySelector("#id_without_mobile");
    var channel = root.querySelector("#password-channel");
    if (withoutMobile && channel && channel.dataset.email) {
      channel.textContent = withoutMobile.checked ? channel.dataset.email : channel.dataset.sms;
    }
    var useUserEmail = root.querySelector("#id_use_user_email");
    var fields = root.querySelector("#auth-email-fields");
    if (useUserEmail && fields) {
      if (useUserEmail.checked) {
        fields.querySelectorAll("input").forEach(function (input) {
          input.value = fields.dataset.userEmail;
        });
      }
      fields.hidden = useUserEmail.checked;
    }
  }

  document.addEventListener("change", function (event) {
    var id = event.target.id;
    if (id === "id_without_mobile" || id === "id_use_user_email") {
      var form = event.target.form;
      if (form) syncLoginStep(form);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    setUpMenu();
    setUpLanguage();
    syncLoginStep(document);
    focusErrors(document);
  });

  /* htmx swapped in new content (e.g. a wizard step with errors). */
  document.addEventListener("htmx:load", function (event) {
    var element = event.target;
    if (element === document.body) return;
    syncLoginStep(element);
    focusErrors(element);
  });
})();
