// Page behaviours declared with data-* attributes, so that no page needs inline script
// (the Content-Security-Policy refuses inline event handlers).
//   <select data-autosubmit>                    submits its form when changed
//   <select data-autosubmit data-clear="ou">    first empties the form's field named "ou"
//   <form data-no-submit>                       never submits (htmx reads it instead)
//   <select data-copy-to="fefo-store">          copies its value into #fefo-store when changed
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLElement)) return;
    var target = el.getAttribute("data-copy-to");
    if (target) {
      var dest = document.getElementById(target);
      if (dest) dest.value = el.value;
    }
    if (el.hasAttribute("data-autosubmit") && el.form) {
      var clear = el.getAttribute("data-clear");
      if (clear) {
        var field = el.form.querySelector('[name="' + clear + '"]');
        if (field) field.value = "";
      }
      el.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    if (event.target instanceof HTMLFormElement && event.target.hasAttribute("data-no-submit")) {
      event.preventDefault();
    }
  });
})();
