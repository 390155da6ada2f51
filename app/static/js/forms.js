// Progressive enhancement for forms; every form works without it.
// "Show password": a checkbox under a password field switches it between hidden and visible.
(function () {
  var switches = document.querySelectorAll("[data-show-password]");
  Array.prototype.forEach.call(switches, function (wrapper) {
    var input = document.getElementById(wrapper.getAttribute("data-show-password"));
    var box = wrapper.querySelector("input[type=checkbox]");
    if (!input || !box) { return; }
    wrapper.hidden = false;
    box.addEventListener("change", function () {
      input.type = box.checked ? "text" : "password";
    });
    // Never submit a visible password by accident into a password manager's text history.
    if (input.form) {
      input.form.addEventListener("submit", function () { input.type = "password"; });
    }
  });
})();
