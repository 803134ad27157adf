/* kgsite: the full map (map page) and the small local graph on entity pages.
 *
 * One shared vis-network build draws both. The full map reads window.KGSITE_GRAPH
 * (assets/kgsite/graph-data.js, loaded only by the map page); a local graph reads the
 * small JSON blob its page embeds. Every string that comes from notes is set with
 * textContent or given to vis-network as a DOM text element (tooltips), never as HTML.
 * Positions are precomputed at build time; physics stays off, so nothing reshuffles.
 */
(function () {
  "use strict";
  if (typeof vis === "undefined") { return; }

  var KIND_LABELS = { service: "サービス", concept: "概念", note: "ノート" };
  var SHAPE_LABELS = { square: "四角", dot: "丸", diamond: "ひし形" };

  function isDark() {
    var s = document.body && document.body.getAttribute("data-md-color-scheme");
    return s === "slate";
  }
  function fontFor(shape) {
    // labels inside a coloured shape stay dark; labels drawn beside a shape follow the theme
    var inside = shape === "box" || shape === "ellipse";
    var dark = isDark();
    return { color: inside ? "#111111" : (dark ? "#e6e6e6" : "#222222"),
             strokeWidth: inside ? 0 : 3, strokeColor: dark ? "#1e2129" : "#ffffff" };
  }
  function pageUrl(el, node) {
    var root = el.getAttribute("data-root") || ".";
    var r = root !== "." ? root.replace(/\/$/, "") + "/" : "";
    var url = node.url.replace(/(^|\/)index$/, "$1");
    var encoded = url.split("/").map(encodeURIComponent).join("/");
    if (el.getAttribute("data-dir-urls") === "1") { return r + encoded + (encoded && !/\/$/.test(encoded) ? "/" : ""); }
    return r + (encoded === "" || /\/$/.test(encoded) ? encoded + "index" : encoded) + ".html";
  }
  function textTitle(s) {
    var el = document.createElement("div");
    el.className = "kg-tooltip";
    el.textContent = s;
    return el;
  }
  function lighten(hex) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
    if (!m) { return hex; }
    var c = [m[1], m[2], m[3]].map(function (h) { return Math.round(parseInt(h, 16) * 0.45 + 255 * 0.55); });
    return "rgb(" + c.join(",") + ")";
  }
  function makeNode(n) {
    return {
      id: n.id, label: String(n.label), title: textTitle(n.title || n.label), x: n.x, y: n.y, shape: n.shape,
      color: { background: lighten(n.color), border: n.color,
               highlight: { background: lighten(n.color), border: "#000000" },
               hover: { background: lighten(n.color), border: n.color } },
      borderWidth: 2, size: n.size || 12, kind: n.kind, category: n.category, aliases: n.aliases || [],
      url: n.url, physics: false, font: sized(fontFor(n.shape), n.size || 12)
    };
  }
  function sized(font, size) {
    // hubs get bigger labels, so they stay readable when the overview hides the small ones
    font.size = Math.round(11 + Math.max(0, size - 10) * 0.8);
    return font;
  }
  function makeEdge(e, i) {
    return {
      id: "e" + i, from: e.from, to: e.to, relation: e.relation,
      color: { color: e.color, opacity: 0.75, highlight: e.color, hover: e.color },
      arrows: e.arrows || "", dashes: e.dashes, title: textTitle(e.relation)
    };
  }
  var OPTIONS = {
    physics: { enabled: false },
    interaction: { hover: true, tooltipDelay: 150, hideEdgesOnDrag: true, navigationButtons: false },
    nodes: { font: { size: 14, face: "'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Meiryo', sans-serif" },
             scaling: { label: { enabled: false, drawThreshold: 6 } } },
    edges: { smooth: false, width: 1.2, arrowStrikethrough: false },
    layout: { improvedLayout: false }
  };

  function neighbourhood(network, center) {
    var keep = {};
    keep[center] = true;
    network.getConnectedNodes(center).forEach(function (id) { keep[id] = true; });
    return keep;
  }
  function highlight(network, nodes, edges, center) {
    var keep = neighbourhood(network, center);
    nodes.update(nodes.getIds().map(function (id) { return { id: id, opacity: keep[id] ? 1 : 0.15 }; }));
    var near = {};
    network.getConnectedEdges(center).forEach(function (id) { near[id] = true; });
    edges.update(edges.get().map(function (e) {
      return { id: e.id, color: { color: e.color.color, opacity: near[e.id] ? 1 : 0.08,
                                  highlight: e.color.color, hover: e.color.color } };
    }));
  }
  function clearHighlight(nodes, edges) {
    nodes.update(nodes.getIds().map(function (id) { return { id: id, opacity: 1 }; }));
    edges.update(edges.get().map(function (e) {
      return { id: e.id, color: { color: e.color.color, opacity: 0.75, highlight: e.color.color, hover: e.color.color } };
    }));
  }
  function onSchemeChange(nodes) {
    new MutationObserver(function () {
      nodes.update(nodes.get().map(function (n) {
        var f = fontFor(n.shape); f.size = n.font.size; return { id: n.id, font: f };
      }));
    }).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  }
  function checkbox(cls, value, checked, text, onChange, swatch) {
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox"; box.checked = checked; box.value = value; box.className = cls;
    box.addEventListener("change", function () { onChange(box.checked); });
    label.appendChild(box);
    if (swatch) { label.appendChild(swatch); }
    label.appendChild(document.createTextNode(" " + text));
    return label;
  }
  function key(s) { return String(s).normalize("NFKC").toLowerCase().replace(/[\s\u200b]+/g, ""); }

  function fullMap(app, DATA) {
    var container = app.querySelector(".kg-map");
    var allNodes = DATA.nodes.map(makeNode);
    var nodes = new vis.DataSet(allNodes);
    var state = { kinds: { service: true, concept: true, note: false }, relations: {}, category: "" };
    DATA.relations.forEach(function (r) { state.relations[r.name] = r.name !== "mentions"; });
    // edges of relations hidden at first (mentions: most of a large vault's edges) are
    // only built when their filter is switched on, so the map opens fast
    var later = {};
    var first = [];
    DATA.edges.forEach(function (e, i) {
      if (state.relations[e.relation]) { first.push(makeEdge(e, i)); }
      else { (later[e.relation] = later[e.relation] || []).push([e, i]); }
    });
    var edges = new vis.DataSet(first);
    function ensureEdges(name) {
      if (later[name]) {
        edges.add(later[name].map(function (p) { return makeEdge(p[0], p[1]); }));
        delete later[name];
      }
    }
    var nodeView = new vis.DataView(nodes, { filter: function (n) {
      return state.kinds[n.kind] && (!state.category || n.category === state.category);
    } });
    var edgeView = new vis.DataView(edges, { filter: function (e) { return !!state.relations[e.relation]; } });
    var network = new vis.Network(container, { nodes: nodeView, edges: edgeView }, OPTIONS);
    function refresh() {
      nodeView.refresh(); edgeView.refresh();
      app.setAttribute("data-visible-nodes", String(nodeView.length));
      app.setAttribute("data-visible-edges", String(edgeView.length));
    }

    var kindBox = app.querySelector(".kg-filter-kind");
    ["service", "concept", "note"].forEach(function (k) {
      kindBox.appendChild(checkbox("kg-kind-toggle", k, state.kinds[k], KIND_LABELS[k],
        function (on) { state.kinds[k] = on; refresh(); }));
    });
    var relBox = app.querySelector(".kg-filter-relation");
    DATA.relations.forEach(function (r) {
      var sw = document.createElement("span");
      sw.className = "kg-swatch-line" + (r.dashes ? " kg-dashed" : "") + (r.arrows ? " kg-arrow" : "");
      sw.style.borderColor = r.color; sw.style.color = r.color;
      relBox.appendChild(checkbox("kg-relation-toggle", r.name, state.relations[r.name], r.name,
        function (on) { state.relations[r.name] = on; if (on) { ensureEdges(r.name); } refresh(); }, sw));
    });
    var catSelect = app.querySelector(".kg-filter-category");
    var legend = app.querySelector(".kg-map-legend");
    [["square", "service"], ["dot", "concept"], ["diamond", "note"]].forEach(function (s) {
      var item = document.createElement("span");
      item.className = "kg-legend-item kg-legend-shape";
      var sw = document.createElement("span");
      sw.className = "kg-shape kg-shape-" + s[0];
      item.appendChild(sw); item.appendChild(document.createTextNode(SHAPE_LABELS[s[0]] + " = " + KIND_LABELS[s[1]]));
      legend.appendChild(item);
    });
    DATA.categories.forEach(function (c) {
      var opt = document.createElement("option");
      opt.value = c.name === "—" ? "" : c.name; opt.textContent = c.name;
      if (opt.value) { catSelect.appendChild(opt); }
      var item = document.createElement("span");
      item.className = "kg-legend-item";
      var sw = document.createElement("span");
      sw.className = "kg-swatch"; sw.style.background = lighten(c.color); sw.style.borderColor = c.color;
      item.appendChild(sw); item.appendChild(document.createTextNode(c.name));
      legend.appendChild(item);
    });
    catSelect.addEventListener("change", function () { state.category = catSelect.value; refresh(); });

    var byAlias = {};
    var list = app.querySelector("#kg-map-names");
    allNodes.forEach(function (n) {
      [n.label].concat(n.aliases || []).forEach(function (a) {
        var k = key(a);
        if (k && !(k in byAlias)) {
          byAlias[k] = n.id;
          var opt = document.createElement("option"); opt.value = a; list.appendChild(opt);
        }
      });
    });
    var aliasKeys = Object.keys(byAlias).sort();
    function focusNode(id) {
      var n = nodes.get(id);
      if (!n) { return false; }
      var changed = false;
      if (!state.kinds[n.kind]) {
        state.kinds[n.kind] = true; changed = true;
        var t = kindBox.querySelector('input[value="' + n.kind + '"]'); if (t) { t.checked = true; }
      }
      if (state.category && state.category !== n.category) { state.category = ""; catSelect.value = ""; changed = true; }
      if (changed) { refresh(); }
      network.selectNodes([id]);
      network.focus(id, { scale: 1.3, animation: false });
      highlight(network, nodes, edges, id);
      app.setAttribute("data-focused", id);
      return true;
    }
    var search = app.querySelector(".kg-map-search");
    var status = app.querySelector(".kg-map-status");
    function runSearch() {
      var k = key(search.value);
      if (!k) { return; }
      var id = byAlias[k];
      if (!id) {
        for (var i = 0; i < aliasKeys.length; i++) { if (aliasKeys[i].indexOf(k) >= 0) { id = byAlias[aliasKeys[i]]; break; } }
      }
      if (id && focusNode(id)) { status.textContent = nodes.get(id).label; }
      else { status.textContent = "見つかりません"; app.removeAttribute("data-focused"); }
    }
    search.addEventListener("change", runSearch);
    search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { ev.preventDefault(); runSearch(); } });

    network.on("hoverNode", function (p) { highlight(network, nodes, edges, p.node); });
    network.on("blurNode", function () {
      var sel = network.getSelectedNodes();
      if (sel.length) { highlight(network, nodes, edges, sel[0]); } else { clearHighlight(nodes, edges); }
    });
    network.on("click", function (p) {
      if (p.nodes.length) { location.href = pageUrl(app, nodes.get(p.nodes[0])); }
      else { clearHighlight(nodes, edges); app.removeAttribute("data-focused"); }
    });
    app.querySelector(".kg-map-fullscreen").addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (app.requestFullscreen) { app.requestFullscreen(); }
    });
    document.addEventListener("fullscreenchange", function () {
      app.classList.toggle("kg-is-fullscreen", document.fullscreenElement === app);
      setTimeout(function () { network.redraw(); network.fit(); }, 50);
    });
    onSchemeChange(nodes);
    window.kgsiteMap = { network: network, nodes: nodes, edges: edges, nodeView: nodeView, edgeView: edgeView,
                         state: state, focusNode: focusNode, refresh: refresh };
    refresh();
    network.fit({ animation: false });
    network.once("afterDrawing", function () { app.setAttribute("data-ready", "1"); });
    if (location.hash.length > 1) { focusNode(decodeURIComponent(location.hash.slice(1))); }
  }

  function localMap(el) {
    var blob = el.parentNode.querySelector(".kg-local-data");
    if (!blob) { return; }
    var data = JSON.parse(blob.textContent);
    var center = data.center;
    var ns = data.nodes.map(function (n) {
      var v = makeNode(n);
      v.size = n.hop === 0 ? 22 : (n.hop === 1 ? 14 : 10);
      v.font = fontFor(n.shape); v.font.size = n.hop === 0 ? 24 : (n.hop === 1 ? 19 : 16);
      if (n.hop === 0) { v.borderWidth = 4; }
      return v;
    });
    var nodes = new vis.DataSet(ns);
    var edges = new vis.DataSet(data.edges.map(makeEdge));
    var opts = JSON.parse(JSON.stringify(OPTIONS));
    opts.nodes.scaling.label.drawThreshold = 4;
    var network = new vis.Network(el, { nodes: nodes, edges: edges }, opts);
    network.on("hoverNode", function (p) { highlight(network, nodes, edges, p.node); });
    network.on("blurNode", function () { clearHighlight(nodes, edges); });
    network.on("click", function (p) {
      if (p.nodes.length && p.nodes[0] !== center) { location.href = pageUrl(el, nodes.get(p.nodes[0])); }
    });
    onSchemeChange(nodes);
    el.setAttribute("data-nodes", String(ns.length));
    network.once("afterDrawing", function () { network.fit(); el.setAttribute("data-ready", "1"); });
  }

  function init() {
    document.querySelectorAll(".kg-map-app").forEach(function (app) {
      if (window.KGSITE_GRAPH && !app.getAttribute("data-init")) { app.setAttribute("data-init", "1"); fullMap(app, window.KGSITE_GRAPH); }
    });
    document.querySelectorAll(".kg-local").forEach(function (el) {
      if (!el.getAttribute("data-init")) { el.setAttribute("data-init", "1"); localMap(el); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
