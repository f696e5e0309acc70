// Staff portal keyboard shortcuts. A static file: the CSP allows no inline script.
// "/" puts the cursor in the customer search box from any page, unless the associate is typing
// in a field (a scanner types into the focused field, so it is never taken from one).
(function () {
  "use strict";

  function isTyping(element) {
    if (!element) {
      return false;
    }
    var tag = element.tagName;
    return element.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    if (isTyping(event.target)) {
      return;
    }
    var box = document.getElementById("customer-q") || document.getElementById("search-page-q");
    if (!box) {
      return;
    }
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
