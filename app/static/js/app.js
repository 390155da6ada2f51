// Progressive enhancement only: every page works without JavaScript.
// Forms with data-confirm ask before they submit (deleting something, sending to many people).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);

// The message form: choosing an office shows its districts at once. The districts of every
// office the coordinator may write for come with the page (data-districts); without
// JavaScript the "show the districts" button reloads the form instead, so it goes here.
(function () {
  function districtSwitch(district) {
    var form = district.form;
    var office = form && form.elements.namedItem("office");
    var byOffice;
    if (!office) return;
    try {
      byOffice = JSON.parse(district.getAttribute("data-districts"));
    } catch (e) {
      return; // keep the button: the page works as without JavaScript
    }
    var refresh = form.querySelector("[data-refresh-districts]");
    if (refresh) refresh.parentNode.removeChild(refresh);
    office.addEventListener("change", function () {
      var chosen = district.value;
      while (district.options.length > 1) district.remove(1); // keep "all districts"
      (byOffice[office.value] || []).forEach(function (d) {
        var value = String(d[0]);
        district.add(new Option(d[1], value, false, value === chosen));
      });
      if (district.selectedIndex < 0) district.selectedIndex = 0;
    });
  }

  function init() {
    var lists = document.querySelectorAll("select[data-districts]");
    for (var i = 0; i < lists.length; i++) districtSwitch(lists[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();

// A "Print" button (data-print, hidden without JavaScript: the browser's own print works then).
document.addEventListener("DOMContentLoaded", function () {
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].hidden = false;
    buttons[i].addEventListener("click", function () { window.print(); });
  }
});
