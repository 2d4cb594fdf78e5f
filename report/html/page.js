/* page.js: draws the HTML report from the data mtdb embedded (window.MTDB) with d3
 * (Debian libjs-d3 3.x, embedded too). Never fetches anything: every byte is in the page.
 * Numbers are shown as the views gave them; the page only lays them out.
 */
(function () {
  "use strict";
  var D = window.MTDB, R = D.report;
  var units = ["B", "KiB", "MiB", "GiB", "TiB"];
  function bytes(v) {
    if (v === null || v === undefined) return "-";
    var u = 0; while (Math.abs(v) >= 1024 && u < 4) { v /= 1024; u++; }
    return (u ? v.toFixed(1) : String(v)) + " " + units[u];
  }
  function fmt(key, v) {
    if (v === null || v === undefined) return "";
    if (typeof v !== "number") return String(v);
    if (/bytes$|^bytes/.test(key)) return bytes(v);
    if (/_us$/.test(key)) return v < 1000 ? v.toFixed(1) + " us" : (v / 1000).toFixed(1) + " ms";
    if (/_ns$/.test(key)) return v < 1e6 ? (v / 1e3).toFixed(1) + " us" : (v / 1e6).toFixed(1) + " ms";
    return String(v);
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function section(id, title) {
    var s = el("section", { id: id }); s.appendChild(el("h2", {}, title));
    document.getElementById("main").appendChild(s); return s;
  }
  function sectionOf(p, keys) {
    for (var i = 0; i < keys.length; i++) {
      var s = p.sections[keys[i]] || R.all_processes[keys[i]];
      if (s && s.available) return s;
    }
    return null;
  }

  /* ---- summary ---- */
  function summary() {
    var s = section("summary", "Summary");
    R.processes.forEach(function (p) {
      s.appendChild(el("h3", {}, "process " + p.process_id + ": pid " + p.pid + " (" +
                                   p.started_by + ") " + p.command));
      var cards = el("div", { "class": "cards" });
      [p.sections.summary, p.sections.incomplete, p.sections.data_gaps].forEach(function (sec) {
        if (!sec || !sec.rows.length) return;
        var row = sec.rows[0];
        Object.keys(row).forEach(function (k) {
          if (k === "process_id" || (sec !== p.sections.summary && !row[k])) return;
          var c = el("div", { "class": "card" + (sec === p.sections.summary ? "" : " warn") });
          c.appendChild(el("b", {}, fmt(k, row[k]))); c.appendChild(el("span", {}, k));
          cards.appendChild(c);
        });
      });
      s.appendChild(cards);
      var names = p.sections.name_gaps;
      if (names && names.available && names.rows.length) {
        var g = names.rows[0];
        s.appendChild(el("p", { "class": "note" }, "Code without names: " + g.unnamed_sites +
          " user sites (" + g.unnamed_blocks + " blocks) in " + g.modules + ": " + g.fix));
      }
    });
    s.appendChild(el("p", { "class": "note" }, D.cap_note));
  }

  /* ---- live-heap timeline ---- */
  function timeline() {
    var s = section("timeline", "Live heap over time");
    // the timeline view (per process and per thread) when the database has it
    var series = D.timeline, fromView = [];
    R.processes.forEach(function (p) {
      var sec = p.sections.timeline;
      if (!sec || !sec.available || !sec.rows.length) return;
      var byThread = {};
      sec.rows.forEach(function (r) {
        var key = r.thread_id === null ? "process " + p.process_id : "thread " + r.thread_id;
        (byThread[key] = byThread[key] || []).push([r.t_s, r.max_live_bytes]);
      });
      Object.keys(byThread).forEach(function (k) { fromView.push({ label: k, points: byThread[k] }); });
    });
    if (fromView.length) series = fromView;
    var w = 900, h = 260, m = { l: 70, r: 20, t: 10, b: 30 };
    if (!series.length) { s.appendChild(el("p", { "class": "note" }, "no heap events")); return; }
    var x = d3.scale.linear().range([m.l, w - m.r]), y = d3.scale.linear().range([h - m.b, m.t]);
    x.domain([0, d3.max(series, function (r) { return d3.max(r.points, function (q) { return q[0]; }); }) || 1]);
    y.domain([0, d3.max(series, function (r) { return d3.max(r.points, function (q) { return q[1]; }); }) || 1]);
    var color = d3.scale.category10();
    var svg = d3.select(s).append("svg").attr("width", w).attr("height", h);
    svg.append("g").attr("class", "axis").attr("transform", "translate(0," + (h - m.b) + ")")
      .call(d3.svg.axis().scale(x).orient("bottom").tickFormat(function (t) { return t + " s"; }));
    svg.append("g").attr("class", "axis").attr("transform", "translate(" + m.l + ",0)")
      .call(d3.svg.axis().scale(y).orient("left").ticks(5).tickFormat(bytes));
    var line = d3.svg.line().x(function (q) { return x(q[0]); }).y(function (q) { return y(q[1]); });
    series.forEach(function (r, i) {
      svg.append("path").attr("class", "line").attr("d", line(r.points))
        .style("stroke", color(i)).append("title").text(r.label);
    });
    (D.marks || []).forEach(function (mk) {
      svg.append("line").attr("x1", x(mk[1])).attr("x2", x(mk[1])).attr("y1", m.t)
        .attr("y2", h - m.b).style("stroke", "#bbb").style("stroke-dasharray", "3,3")
        .append("title").text(mk[2]);
    });
    var legend = el("p", { "class": "note" });
    legend.textContent = series.map(function (r) { return r.label; }).join(" · ");
    s.appendChild(legend);
  }

  /* ---- flame graph ---- */
  function flame() {
    var s = section("flamegraph", "Flame graph");
    var bar = el("p");
    var pick = el("select", { id: "flame-weight" });
    [["1", "allocations"], ["2", "bytes"], ["3", "leaked bytes"]].forEach(function (o) {
      var op = el("option", { value: o[0] }, o[1]); pick.appendChild(op);
    });
    var search = el("input", { type: "search", id: "flame-search", placeholder: "search functions" });
    var reset = el("button", {}, "reset zoom");
    bar.appendChild(pick); bar.appendChild(document.createTextNode(" ")); bar.appendChild(search);
    bar.appendChild(document.createTextNode(" ")); bar.appendChild(reset); s.appendChild(bar);
    var info = el("p", { "class": "note", id: "flame-info" }, "click a frame to zoom");
    var host = el("div", { id: "flame" }); s.appendChild(host); s.appendChild(info);
    var w = 1100, rowH = 16, zoomed = null;
    function tree(col) {
      var root = { name: "all", children: {}, value: 0 };
      D.stacks.forEach(function (st) {
        var v = st[col]; if (!v) return;
        var node = root; root.value += v;
        st[0].split(";").forEach(function (f) {
          var c = node.children[f] || (node.children[f] = { name: f, children: {}, value: 0 });
          c.value += v; node = c;
        });
      });
      (function conv(n) {
        var kids = Object.keys(n.children).map(function (k) { return n.children[k]; });
        var own = n.value - kids.reduce(function (a, c) { return a + c.value; }, 0);
        if (kids.length && own > 0) kids.push({ name: "", self: true, value: own, children: {} });
        n.children = kids.length ? kids : null; if (kids.length) kids.forEach(conv);
      })(root);
      return root;
    }
    function draw() {
      var root = tree(+pick.value);
      var part = d3.layout.partition().sort(function (a, b) { return d3.ascending(a.name, b.name); })
        .value(function (d) { return d.value; })
        .children(function (d) { return d.children; });
      // a frame's own weight is an empty child ("self"), as flamegraph.pl leaves it blank
      var nodes = part.nodes(root);
      var depth = d3.max(nodes, function (d) { return d.depth; }) + 1;
      var x = d3.scale.linear().range([0, w]);
      var z = zoomed && nodes.filter(function (d) { return d.name === zoomed.name && d.depth === zoomed.depth; })[0];
      x.domain(z ? [z.x, z.x + z.dx] : [0, 1]);
      d3.select(host).selectAll("svg").remove();
      var svg = d3.select(host).append("svg").attr("width", w).attr("height", depth * rowH);
      var visible = nodes.filter(function (d) { return !d.self && x(d.x + d.dx) - x(d.x) >= 0.5 && x(d.x + d.dx) > 0 && x(d.x) < w; });
      var color = d3.scale.linear().domain([0, 1]).range(["#f4b400", "#e2572c"]);
      var g = svg.selectAll("g").data(visible).enter().append("g")
        .attr("transform", function (d) { return "translate(" + Math.max(0, x(d.x)) + "," + (depth - 1 - d.depth) * rowH + ")"; });
      g.append("rect").attr("width", function (d) { return Math.min(w, x(d.x + d.dx)) - Math.max(0, x(d.x)); })
        .attr("height", rowH - 1).style("fill", function (d) { return color((d.name.length % 7) / 7); })
        .on("click", function (d) { zoomed = d.depth ? d : null; draw(); })
        .append("title").text(function (d) { return d.name + ": " + d.value; });
      g.append("text").attr("x", 3).attr("y", rowH - 4).text(function (d) {
        var room = (Math.min(w, x(d.x + d.dx)) - Math.max(0, x(d.x))) / 7;
        return room > 3 ? d.name.slice(0, Math.floor(room)) : "";
      });
      highlight();
    }
    function highlight() {
      var q = search.value.toLowerCase(), n = 0;
      d3.select(host).selectAll("rect").classed("match", function (d) {
        var hit = q && d.name.toLowerCase().indexOf(q) >= 0; if (hit) n++; return hit;
      });
      info.textContent = q ? n + " frame(s) match '" + search.value + "'" : "click a frame to zoom";
    }
    pick.onchange = function () { zoomed = null; draw(); };
    search.oninput = highlight;
    reset.onclick = function () { zoomed = null; draw(); };
    draw();
  }

  /* ---- thread matrix ---- */
  function matrix() {
    var s = section("threads", "Thread interaction (blocks allocated by row, freed by column)");
    R.processes.forEach(function (p) {
      var sec = sectionOf(p, ["thread_interaction", "thread_pairs"]);
      if (!sec || !sec.rows.length) return;
      var names = {}, max = 0;
      sec.rows.forEach(function (r) {
        names[r.alloc_thread_id] = r.alloc_thread; names[r.free_thread_id] = r.free_thread;
        max = Math.max(max, r.blocks);
      });
      var ids = Object.keys(names).sort(function (a, b) { return a - b; });
      var cell = 34, left = 150, top = 110;
      var svg = d3.select(s).append("svg").attr("class", "heatmap")
        .attr("width", left + ids.length * cell + 10).attr("height", top + ids.length * cell + 10);
      var color = d3.scale.linear().domain([0, max]).range(["#f0f4ff", "#08306b"]);
      ids.forEach(function (id, i) {
        svg.append("text").attr("x", left - 4).attr("y", top + i * cell + cell / 2 + 4)
          .attr("text-anchor", "end").text(names[id]);
        svg.append("text").attr("transform", "translate(" + (left + i * cell + cell / 2) + "," + (top - 4) + ") rotate(-45)")
          .text(names[id]);
      });
      sec.rows.forEach(function (r) {
        var i = ids.indexOf(String(r.alloc_thread_id)), j = ids.indexOf(String(r.free_thread_id));
        svg.append("rect").attr("class", "cell").attr("x", left + j * cell).attr("y", top + i * cell)
          .attr("width", cell - 2).attr("height", cell - 2).style("fill", color(r.blocks))
          .append("title").text(r.alloc_thread + " -> " + r.free_thread + ": " + r.blocks +
                                " blocks, " + bytes(r.bytes) + (r.median_us !== undefined ? ", median " + fmt("median_us", r.median_us) : ""));
      });
    });
  }

  /* ---- sortable, searchable tables ---- */
  function table(id, title, keys) {
    var rows = [], cols = null;
    R.processes.forEach(function (p) {
      var sec = sectionOf(p, keys);
      if (sec) sec.rows.forEach(function (r) { rows.push(r); });
    });
    if (!rows.length) keys.forEach(function (k) {
      var sec = R.all_processes[k]; if (sec && sec.available && !rows.length) rows = sec.rows.slice();
    });
    var s = section(id, title);
    if (!rows.length) { s.appendChild(el("p", { "class": "note" }, "none, or not in this database")); return; }
    cols = Object.keys(rows[0]).filter(function (k) { return k !== "stack" && k !== "stack_id"; });
    var search = el("input", { type: "search", "class": "table-search", placeholder: "filter rows" });
    s.appendChild(search);
    var t = el("table", { "class": "data" }), head = el("tr"), body = el("tbody");
    cols.forEach(function (c) {
      var th = el("th", {}, c), asc = false;
      th.onclick = function () {
        asc = !asc;
        rows.sort(function (a, b) { return (asc ? 1 : -1) * d3.ascending(a[c], b[c]); });
        fill();
      };
      head.appendChild(th);
    });
    t.appendChild(head); t.appendChild(body); s.appendChild(t);
    function fill() {
      var q = search.value.toLowerCase(), shown = 0;
      body.textContent = "";
      rows.forEach(function (r) {
        var text = cols.map(function (c) { return r[c]; }).join(" ").toLowerCase();
        if (q && text.indexOf(q) < 0) return;
        shown++;
        var tr = el("tr", { "class": "row" });
        cols.forEach(function (c) {
          tr.appendChild(el("td", { "class": typeof r[c] === "number" ? "num" : "" }, fmt(c, r[c])));
        });
        tr.onclick = function () {
          var next = tr.nextSibling;
          if (next && next.className === "stackrow") { body.removeChild(next); return; }
          var d = el("tr", { "class": "stackrow" }), td = el("td", { colspan: cols.length });
          // the row's whole stack, innermost first, from the JSON report (docs/report-json.md)
          var frames = r.stack && r.stack.length ? r.stack.map(function (f) {
            var mod = f.module ? f.module.replace(/^.*\//, "") : "";
            return (f.short_name || f.function || "?") + (f.file ? "  " + f.file + ":" + f.line : "")
              + (mod ? "  [" + mod + "]" : "");
          }).join("\n") + (r.stacks_at_site > 1 ? "\n(the heaviest of " + r.stacks_at_site
              + " stacks at this site)" : "")
            : (r.path || r.evidence || "no stack in this view");
          td.appendChild(el("pre", { "class": "stack" }, frames)); d.appendChild(td);
          body.insertBefore(d, next);
        };
        body.appendChild(tr);
      });
      t.setAttribute("data-shown", shown);
    }
    search.oninput = fill;
    fill();
  }

  summary();
  timeline();
  flame();
  matrix();
  table("leaks", "Leaks", ["leaks", "leaks_by_stack"]);
  table("hotspots", "Hotspots", ["hotspots", "hotspots_by_stack"]);
  table("bottlenecks", "Bottlenecks", ["bottlenecks"]);
  table("handoffs", "Hand-offs", ["handoffs", "cross_thread"]);
  table("advice", "Advice", ["advice"]);
  // ?search=TEXT in the address fills every search box (a link can open a filtered view)
  var m = /[#&]search=([^&]*)/.exec(location.hash);
  if (m) {
    var q = decodeURIComponent(m[1]);
    Array.prototype.forEach.call(document.querySelectorAll("input[type=search]"), function (i) {
      i.value = q; i.oninput();
    });
  }
  var entries = (window.performance && performance.getEntriesByType) ?
    performance.getEntriesByType("resource").length : 0;
  document.body.setAttribute("data-requests", entries);
  document.body.setAttribute("data-ms", Math.round(performance.now()));
  document.body.setAttribute("data-ready", "1");
})();
