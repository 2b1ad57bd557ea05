// The dashboard's live part: notify's events as they happen (relayed at /dashboard/feed),
// and the key figures refreshed from /malls/stats after a mall event. The page works without it.
(function () {
  "use strict";
  var list = document.getElementById("live-events");
  var state = document.getElementById("live-state");
  if (!list || !window.EventSource) { return; }
  var types = (list.getAttribute("data-types") || "").split(",").filter(Boolean);
  var KEEP = 20;
  var refresh = null;

  function describe(cloudevent) {
    var data = cloudevent.data || {};
    var region = data.region ? " (" + data.region.regency_name + ")" : "";
    return (data.name || data.title || data.code || cloudevent.subject || "") + region;
  }

  function show(type, cloudevent) {
    var item = document.createElement("li");
    var when = document.createElement("time");
    when.dateTime = cloudevent.time || "";
    when.textContent = (cloudevent.time || "").replace("T", " ").slice(0, 19);
    var kind = document.createElement("span");
    kind.className = "type";
    kind.textContent = type;
    var what = document.createElement("span");
    what.className = "what";
    what.textContent = describe(cloudevent);
    item.append(when, " ", kind, " ", what);
    list.prepend(item);
    while (list.children.length > KEEP) { list.lastElementChild.remove(); }
  }

  function setFigure(name, value) {
    var node = document.querySelector('[data-figure="' + name + '"]');
    if (node) { node.textContent = String(value); }
  }

  function refreshFigures() {
    refresh = null;
    fetch("/malls/stats", { headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (stats) {
        if (!stats) { return; }
        setFigure("total", stats.total);
        setFigure("serving", stats.by_status.operating + stats.by_status.inaugurated);
        setFigure("provinces", stats.by_province.length);
        Object.keys(stats.by_status).forEach(function (status) {
          var node = document.querySelector('[data-status="' + status + '"]');
          if (node) { node.textContent = String(stats.by_status[status]); }
        });
      })
      .catch(function () {});
  }

  function connect() {
    var source = new EventSource("/dashboard/feed");
    source.onopen = function () { state.textContent = "live"; state.className = "state on"; };
    source.onerror = function () {
      state.textContent = "reconnecting";
      state.className = "state";
      if (source.readyState === EventSource.CLOSED) { setTimeout(connect, 5000); }
    };
    types.forEach(function (type) {
      source.addEventListener(type, function (message) {
        var cloudevent;
        try { cloudevent = JSON.parse(message.data); } catch (e) { return; }
        show(type, cloudevent);
        if (type.indexOf("mall.") === 0 && refresh === null) {
          refresh = setTimeout(refreshFigures, 1000);
        }
      });
    });
  }

  connect();
})();
