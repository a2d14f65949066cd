// chronicle serve: reload on rebuild, keep the scroll position, show build errors.
(function () {
  "use strict";
  var key = "chronicle-scroll:" + location.pathname;
  var saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    window.addEventListener("load", function () { window.scrollTo(0, parseInt(saved, 10) || 0); });
  }
  function overlay(error) {
    var box = document.getElementById("chronicle-error-overlay");
    if (!error) { if (box) { box.remove(); } return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "chronicle-error-overlay";
      box.setAttribute("role", "alert");
      // every colour is set here, with !important: the page's own styles (a light `pre`
      // background, dark-mode rules) must not make the report unreadable in either mode
      box.style.cssText = "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
        "background:rgba(20,20,24,.96)!important;color:#f4f4f5!important;" +
        "font:14px/1.5 ui-monospace,monospace;padding:2rem;color-scheme:dark";
      document.body.appendChild(box);
    }
    box.textContent = "";
    var title = document.createElement("h2");
    title.textContent = "Build failed: the page shows the last good build";
    title.style.cssText = "color:#ff8a80!important;background:none!important;" +
      "font:700 18px system-ui,sans-serif;margin:0 0 1rem";
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;color:#f4f4f5!important;" +
      "background:#141418!important;border:1px solid #3f3f46;border-radius:.35rem;" +
      "padding:.8rem 1rem;margin:0;font:14px/1.5 ui-monospace,monospace";
    pre.textContent = error;
    box.appendChild(title);
    box.appendChild(pre);
  }
  function reloadStyles() {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i++) {
      var url = new URL(links[i].href);
      url.searchParams.set("chronicle-reload", Date.now());
      links[i].href = url.toString();
    }
  }
  // the page we show: serve renders it first after a change, before anything else
  var source = new EventSource(document.currentScript.dataset.events +
                               "?page=" + encodeURIComponent(location.pathname));
  source.addEventListener("reload", function () {
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  });
  source.addEventListener("css", function () { overlay(null); reloadStyles(); });
  source.addEventListener("error-report", function (event) { overlay(JSON.parse(event.data).text); });
  source.addEventListener("ok", function () { overlay(null); });
}());
