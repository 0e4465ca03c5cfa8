// Progressive enhancement only: every page works without this file.
// Shows post times as "5 min ago" in the page's language (<html lang>) and the reader's time zone.
(function () {
  "use strict";
  var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
               ["hour", 3600], ["minute", 60]];
  var relative = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" }) : null;
  function humanize(root) {
    if (!relative) return;
    var now = Date.now();
    (root || document).querySelectorAll("time[datetime]").forEach(function (el) {
      var when = Date.parse(el.getAttribute("datetime"));
      if (isNaN(when)) return;
      var seconds = Math.round((when - now) / 1000);
      if (!el.title) el.title = new Date(when).toLocaleString();
      if (Math.abs(seconds) < 45) { el.textContent = relative.format(0, "second"); return; }
      for (var i = 0; i < units.length; i++) {
        if (Math.abs(seconds) >= units[i][1] || i === units.length - 1) {
          el.textContent = relative.format(Math.round(seconds / units[i][1]), units[i][0]);
          return;
        }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { humanize(); });
  document.addEventListener("htmx:load", function (event) { humanize(event.target); });
  setInterval(humanize, 60000);
})();
