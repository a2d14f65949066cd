// The search page: runs queries with Pagefind's index (/pagefind/, written by
// `chronicle build`) and lists title, date and excerpt of each result. The page's
// form works without this script; the query and filters live in the address
// (?q=...&tag=...), so a search can be bookmarked and the back button works.
(function () {
  "use strict";
  var root = document.getElementById("search");
  if (!root || !("fetch" in window)) return;
  var form = root.querySelector(".search-form");
  var input = root.querySelector("#search-query");
  var status = root.querySelector(".search-status");
  var list = root.querySelector(".search-results");
  var more = root.querySelector(".search-more");
  var selects = Array.prototype.slice.call(root.querySelectorAll("select[data-filter]"));
  var PAGE = 20;
  var pagefind = null;
  var current = null;  // {results, shown}
  var generation = 0;

  function say(text) { status.textContent = text; }

  // Pagefind's excerpt is HTML with <mark> around the matched words: keep only the text
  // and the marks, whatever else it holds.
  function excerptNodes(html) {
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    var out = document.createDocumentFragment();
    (function walk(node) {
      node.childNodes.forEach(function (child) {
        if (child.nodeType === 3) out.appendChild(document.createTextNode(child.textContent));
        else if (child.nodeName === "MARK") {
          var mark = document.createElement("mark");
          mark.textContent = child.textContent;
          out.appendChild(mark);
        } else walk(child);
      });
    })(doc.body);
    return out;
  }

  function resultItem(data) {
    var item = document.createElement("li");
    item.className = "search-result";
    var title = document.createElement("h2");
    var link = document.createElement("a");
    link.href = /^\//.test(data.url) ? data.url : "#";
    link.textContent = (data.meta && data.meta.title) || data.url;
    title.appendChild(link);
    item.appendChild(title);
    if (data.meta && data.meta.date) {
      var date = document.createElement("p");
      date.className = "meta";
      date.textContent = data.meta.date;
      item.appendChild(date);
    }
    var excerpt = document.createElement("p");
    excerpt.className = "search-excerpt";
    excerpt.appendChild(excerptNodes(data.excerpt || ""));
    item.appendChild(excerpt);
    return item;
  }

  function showMore() {
    var batch = current.results.slice(current.shown, current.shown + PAGE);
    var mine = generation;
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (items) {
      if (mine !== generation) return;
      items.forEach(function (data) { list.appendChild(resultItem(data)); });
      current.shown += batch.length;
      more.hidden = current.shown >= current.results.length;
    });
  }

  function chosenFilters() {
    var filters = {};
    selects.forEach(function (select) {
      if (select.value) filters[select.dataset.filter] = select.value;
    });
    return filters;
  }

  function remember(query, filters) {
    var params = new URLSearchParams();
    if (query) params.set("q", query);
    Object.keys(filters).forEach(function (key) { params.set(key, filters[key]); });
    var text = params.toString();
    history.replaceState(null, "", location.pathname + (text ? "?" + text : ""));
  }

  function run() {
    var query = input.value.trim();
    var filters = chosenFilters();
    var mine = ++generation;
    remember(query, filters);
    if (!query && !Object.keys(filters).length) {
      list.textContent = "";
      more.hidden = true;
      say("");
      return;
    }
    say("Searching…");
    var options = { filters: filters };
    if (!query) options.sort = { date: "desc" };
    pagefind.search(query || null, options).then(function (search) {
      if (mine !== generation || !search) return;
      list.textContent = "";
      current = { results: search.results, shown: 0 };
      var count = search.results.length;
      var what = query ? " for “" + query + "”" : "";
      // announced once the first results are on the page
      return showMore().then(function () {
        if (mine !== generation) return;
        say(count ? count + (count === 1 ? " result" : " results") + what + "."
                  : "No results" + what + ".");
      });
    });
  }

  function fillFilters(available) {
    var params = new URLSearchParams(location.search);
    selects.forEach(function (select) {
      var values = Object.keys(available[select.dataset.filter] || {});
      values.sort(function (a, b) {
        return select.dataset.filter === "year" ? b.localeCompare(a) : a.localeCompare(b);
      });
      values.forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        select.appendChild(option);
      });
      var wanted = params.get(select.dataset.filter);
      if (wanted && values.indexOf(wanted) >= 0) select.value = wanted;
    });
    root.querySelector(".search-filters").hidden = false;
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
  selects.forEach(function (select) { select.addEventListener("change", run); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    if (pagefind) run();
  });
  more.querySelector("button").addEventListener("click", function () { showMore(); });

  input.value = new URLSearchParams(location.search).get("q") || "";
  say("Loading the search index…");
  import(root.dataset.bundle + "pagefind.js").then(function (module) {
    pagefind = module;
    return pagefind.options({ baseUrl: root.dataset.base });
  }).then(function () {
    return pagefind.filters();
  }).then(function (available) {
    fillFilters(available);
    say("");
    run();
  }).catch(function () {
    say("The search index could not be loaded. Browse the archives instead.");
  });
})();
