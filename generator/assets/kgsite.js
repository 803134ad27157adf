/* kgsite map: full map and per-page local graphs over one shared data file.
 * All text from notes is set with textContent / as vis-network plain-text titles,
 * never as HTML. Positions are precomputed at build time; physics stays off. */
(function () {
  "use strict";
  var DATA = window.KGSITE_GRAPH;
  if (!DATA || typeof vis === "undefined") { return; }

  function isDark() {
    var s = document.body && document.body.getAttribute("data-md-color-scheme");
    return s === "slate";
  }
  function fontColor() { return isDark() ? "#e6e6e6" : "#222222"; }
  function pageUrl(el, node) {
    var root = el.getAttribute("data-root") || ".";
    var r = root !== "." ? root.replace(/\/$/, "") + "/" : "";
    var url = node.url.replace(/(^|\/)index$/, "$1");
    if (el.getAttribute("data-dir-urls") === "1") { return r + url + (url && !/\/$/.test(url) ? "/" : ""); }
    return r + (url === "" || /\/$/.test(url) ? url + "index" : url) + ".html";
  }
  function textTitle(s) {
    var el = document.createElement("div");
    el.className = "kg-tooltip";
    el.textContent = s;
    return el;
  }
  function makeNodes(list) {
    return list.map(function (n) {
      return {
        id: n.id, label: n.label, title: textTitle(n.title || n.label), x: n.x, y: n.y, shape: n.shape,
        color: n.color, size: n.size, kind: n.kind, category: n.category, aliases: n.aliases, url: n.url,
        physics: false, font: { color: fontColor() }
      };
    });
  }
  function makeEdges(list) {
    return list.map(function (e, i) {
      return {
        id: "e" + i, from: e.from, to: e.to, relation: e.relation, color: { color: e.color, opacity: 0.7 },
        arrows: e.arrows, dashes: e.dashes, title: e.relation
      };
    });
  }
  var OPTIONS = {
    physics: { enabled: false },
    interaction: { hover: true, tooltipDelay: 150, hideEdgesOnDrag: true },
    nodes: { font: { size: 14 } },
    edges: { smooth: false, width: 1 },
    layout: { improvedLayout: false }
  };

  function highlight(network, nodes, edges, center) {
    var keep = {};
    keep[center] = true;
    network.getConnectedNodes(center).forEach(function (id) { keep[id] = true; });
    nodes.update(nodes.get().map(function (n) { return { id: n.id, opacity: keep[n.id] ? 1 : 0.15 }; }));
  }
  function clearHighlight(nodes) {
    nodes.update(nodes.get().map(function (n) { return { id: n.id, opacity: 1 }; }));
  }

  function fullMap(app) {
    var container = app.querySelector(".kg-map");
    var allNodes = makeNodes(DATA.nodes);
    var allEdges = makeEdges(DATA.edges);
    var nodes = new vis.DataSet(allNodes);
    var edges = new vis.DataSet(allEdges);
    var state = { kinds: { service: true, concept: true, note: false }, relations: {}, category: "" };
    DATA.relations.forEach(function (r) { state.relations[r.name] = r.name !== "mentions"; });
    var nodeView = new vis.DataView(nodes, { filter: function (n) {
      return state.kinds[n.kind] && (!state.category || n.category === state.category || n.kind === "note");
    } });
    var edgeView = new vis.DataView(edges, { filter: function (e) { return !!state.relations[e.relation]; } });
    var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, OPTIONS);
    window.kgsiteMap = { network: network, nodes: nodes, edges: edges, nodeView: nodeView, edgeView: edgeView,
                         state: state };

    var kindBox = app.querySelector(".kg-filter-kind");
    [["service", "サービス"], ["concept", "概念"], ["note", "ノート"]].forEach(function (k) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox"; box.checked = state.kinds[k[0]]; box.value = k[0]; box.className = "kg-kind-toggle";
      box.addEventListener("change", function () { state.kinds[k[0]] = box.checked; nodeView.refresh(); });
      label.appendChild(box); label.appendChild(document.createTextNode(" " + k[1]));
      kindBox.appendChild(label);
    });
    var relBox = app.querySelector(".kg-filter-relation");
    DATA.relations.forEach(function (r) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox"; box.checked = state.relations[r.name]; box.value = r.name; box.className = "kg-relation-toggle";
      box.addEventListener("change", function () { state.relations[r.name] = box.checked; edgeView.refresh(); });
      var swatch = document.createElement("span");
      swatch.className = "kg-swatch-line" + (r.dashes ? " kg-dashed" : "");
      swatch.style.borderColor = r.color;
      label.appendChild(box); label.appendChild(swatch); label.appendChild(document.createTextNode(" " + r.name));
      relBox.appendChild(label);
    });
    var catSelect = app.querySelector(".kg-filter-category");
    var legend = app.querySelector(".kg-map-legend");
    DATA.categories.forEach(function (c) {
      var opt = document.createElement("option");
      opt.value = c.name === "—" ? "" : c.name; opt.textContent = c.name;
      if (opt.value) { catSelect.appendChild(opt); }
      var item = document.createElement("span");
      item.className = "kg-legend-item";
      var sw = document.createElement("span");
      sw.className = "kg-swatch"; sw.style.background = c.color;
      item.appendChild(sw); item.appendChild(document.createTextNode(c.name));
      legend.appendChild(item);
    });
    catSelect.addEventListener("change", function () { state.category = catSelect.value; nodeView.refresh(); });

    var byAlias = {};
    var list = app.querySelector("#kg-map-names");
    allNodes.forEach(function (n) {
      (n.aliases || []).concat([n.label]).forEach(function (a) {
        var k = String(a).normalize("NFKC").toLowerCase().replace(/\s+/g, "");
        if (!(k in byAlias)) {
          byAlias[k] = n.id;
          var opt = document.createElement("option"); opt.value = a; list.appendChild(opt);
        }
      });
    });
    function focusNode(id) {
      var n = nodes.get(id);
      if (!n) { return false; }
      if (!state.kinds[n.kind]) { state.kinds[n.kind] = true; nodeView.refresh();
        var t = kindBox.querySelector('input[value="' + n.kind + '"]'); if (t) { t.checked = true; } }
      network.selectNodes([id]);
      network.focus(id, { scale: 1.2, animation: false });
      highlight(network, nodes, edges, id);
      app.setAttribute("data-focused", id);
      return true;
    }
    window.kgsiteMap.focusNode = focusNode;
    var search = app.querySelector(".kg-map-search");
    function runSearch() {
      var k = search.value.normalize("NFKC").toLowerCase().replace(/\s+/g, "");
      if (!k) { return; }
      var id = byAlias[k];
      if (!id) {
        var keys = Object.keys(byAlias).sort();
        for (var i = 0; i < keys.length; i++) { if (keys[i].indexOf(k) >= 0) { id = byAlias[keys[i]]; break; } }
      }
      if (id) { focusNode(id); }
    }
    search.addEventListener("change", runSearch);
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { runSearch(); } });

    network.on("hoverNode", function (p) { highlight(network, nodes, edges, p.node); });
    network.on("blurNode", function () {
      var sel = network.getSelectedNodes();
      if (sel.length) { highlight(network, nodes, edges, sel[0]); } else { clearHighlight(nodes); }
    });
    network.on("click", function (p) {
      if (p.nodes.length) {
        var n = nodes.get(p.nodes[0]);
        location.href = pageUrl(app, n);
      } else { clearHighlight(nodes); }
    });
    app.querySelector(".kg-map-fullscreen").addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); } else if (app.requestFullscreen) { app.requestFullscreen(); }
    });
    new MutationObserver(function () {
      nodes.update(nodes.get().map(function (n) { return { id: n.id, font: { color: fontColor() } }; }));
    }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
    network.once("afterDrawing", function () { app.setAttribute("data-ready", "1"); });
    if (location.hash.length > 1) { focusNode(decodeURIComponent(location.hash.slice(1))); }
  }

  function localMap(el) {
    var center = el.getAttribute("data-node");
    var adj = {};
    DATA.edges.forEach(function (e) {
      if (e.relation === "mentions") { return; }
      (adj[e.from] = adj[e.from] || []).push(e.to);
      (adj[e.to] = adj[e.to] || []).push(e.from);
    });
    var keep = {}; keep[center] = 0;
    var frontier = [center];
    for (var hop = 1; hop <= 2; hop++) {
      var next = [];
      frontier.forEach(function (id) { (adj[id] || []).forEach(function (o) {
        if (!(o in keep) && Object.keys(keep).length < 60) { keep[o] = hop; next.push(o); } }); });
      frontier = next;
    }
    var ns = makeNodes(DATA.nodes.filter(function (n) { return n.id in keep; }));
    ns.forEach(function (n) { if (n.id === center) { n.borderWidth = 3; n.size = (n.size || 10) + 8; } });
    var es = makeEdges(DATA.edges.filter(function (e) { return e.relation !== "mentions" && e.from in keep && e.to in keep; }));
    var nodes = new vis.DataSet(ns);
    var network = new vis.Network(el, { nodes: nodes, edges: new vis.DataSet(es) }, OPTIONS);
    network.on("click", function (p) {
      if (p.nodes.length && p.nodes[0] !== center) { location.href = pageUrl(el, nodes.get(p.nodes[0])); }
    });
    network.once("afterDrawing", function () { network.fit(); el.setAttribute("data-ready", "1"); });
  }

  function init() {
    document.querySelectorAll(".kg-map-app").forEach(fullMap);
    document.querySelectorAll(".kg-local").forEach(localMap);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
