// scrollback: show times in the reader's own time zone. The page works without this file:
// every time is server-rendered in the configured zone, which the header names.
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) return;
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var day = function (d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); };

  function localize() {
    var pageDay = document.querySelector("h1 time[datetime]");
    var pageDate = pageDay ? pageDay.getAttribute("datetime") : null;
    var times = document.querySelectorAll(".msg time[datetime], .msg-body time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var el = times[i];
      var iso = el.getAttribute("datetime");
      if (!/T.*Z$/.test(iso)) continue;
      var d = new Date(iso);
      if (isNaN(d.getTime())) continue;
      var hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
      if (el.closest(".msg-body")) {
        el.textContent = day(d) + " " + hm;
      } else {
        el.textContent = pageDate && day(d) !== pageDate ? day(d) + " " + hm : hm;
      }
      el.title = d.toLocaleString(undefined, { dateStyle: "full", timeStyle: "long" });
    }
    var label = document.querySelector("[data-zone]");
    if (label) label.textContent = zone + " (your time zone)";
    showTarget();
    incidentFilters();
  }

  // "/" focuses the search box, as on GitHub and Slack.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var target = e.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var box = document.getElementById("search-q") || document.querySelector("[data-search-box]");
    if (box) {
      e.preventDefault();
      box.focus();
      box.select();
    }
  });

  // The incident index: filter rows by status, severity, channel and year (also from ?status=…).
  function incidentFilters() {
    var form = document.getElementById("incident-filters");
    if (!form) return;
    var rows = document.querySelectorAll("table.incidents tbody tr");
    var count = document.getElementById("incident-count");
    var params = new URLSearchParams(location.search);
    var selects = form.querySelectorAll("select");
    selects.forEach(function (s) { if (params.get(s.name)) s.value = params.get(s.name); });
    function apply() {
      var shown = 0;
      rows.forEach(function (row) {
        var ok = Array.prototype.every.call(selects, function (s) { return !s.value || row.dataset[s.name] === s.value; });
        row.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown + " of " + rows.length + " shown";
      var p = new URLSearchParams();
      selects.forEach(function (s) { if (s.value) p.set(s.name, s.value); });
      history.replaceState(null, "", p.toString() ? "?" + p : location.pathname);
    }
    form.addEventListener("change", apply);
    apply();
  }

  // Arriving at a permalink: make sure the message is in view, below the header.
  function showTarget() {
    var id = location.hash.slice(1);
    var el = id && document.getElementById(id);
    if (el && el.classList.contains("msg")) {
      el.scrollIntoView({ block: "center" });
      var thread = el.closest("details");
      if (thread) thread.open = true;
    }
  }
  window.addEventListener("hashchange", showTarget);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", localize);
  } else {
    localize();
  }
})();
