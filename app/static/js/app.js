// Progressive enhancement only: every page works without JavaScript.
// Forms with data-confirm ask before they submit (deleting something, sending to many people).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
