/**
 * The browser-side chart code embedded in every HTML report: plain JS that
 * draws inline SVG line and bar charts from the report's embedded JSON. No
 * library and no CDN, so a report opens offline years later. Each chart
 * marks itself with data-drawn="<number of series/bars drawn>", which the
 * headless-Chromium test reads.
 */
export const CHART_SCRIPT = String.raw`
(function () {
  var report = JSON.parse(document.getElementById("report-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#2563eb", "#f59e0b", "#dc2626", "#059669", "#7c3aed", "#db2777"];
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function frame(id, maxY, maxX, unit) {
    var svg = document.getElementById(id);
    var W = 640, H = 220, L = 56, B = 28;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    el("line", { x1: L, y1: 8, x2: L, y2: H - B, stroke: "#999" }, svg);
    el("line", { x1: L, y1: H - B, x2: W - 8, y2: H - B, stroke: "#999" }, svg);
    for (var i = 0; i <= 4; i++) {
      var y = H - B - (i / 4) * (H - B - 8);
      el("line", { x1: L, y1: y, x2: W - 8, y2: y, stroke: "#eee" }, svg);
      el("text", { x: L - 4, y: y + 4, "text-anchor": "end", "font-size": 10 }, svg).textContent = Math.round((maxY * i) / 4 * 10) / 10;
    }
    el("text", { x: W - 8, y: H - 8, "text-anchor": "end", "font-size": 10 }, svg).textContent = maxX + " " + unit;
    return { svg: svg, x: function (v) { return L + (v / (maxX || 1)) * (W - 8 - L); }, y: function (v) { return H - B - (v / (maxY || 1)) * (H - B - 8); } };
  }
  function lines(id, xs, series, unit) {
    var maxY = 0, maxX = xs.length ? xs[xs.length - 1] : 1;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v > maxY) maxY = v; }); });
    var f = frame(id, maxY * 1.1 || 1, maxX || 1, unit);
    var drawn = 0;
    series.forEach(function (s, i) {
      var d = s.values.map(function (v, j) { return (j ? "L" : "M") + f.x(xs[j]).toFixed(1) + " " + f.y(v).toFixed(1); }).join(" ");
      if (!d) return;
      el("path", { d: d, fill: "none", stroke: COLORS[i % COLORS.length], "stroke-width": 1.8, "data-series": s.name }, f.svg);
      el("text", { x: 64 + i * 110, y: 20, fill: COLORS[i % COLORS.length], "font-size": 11 }, f.svg).textContent = s.name;
      drawn++;
    });
    f.svg.setAttribute("data-drawn", String(drawn));
  }
  function bars(id, entries) {
    var svg = document.getElementById(id);
    if (!entries.length) {
      svg.setAttribute("viewBox", "0 0 640 60");
      el("text", { x: 320, y: 34, "text-anchor": "middle", "font-size": 14, fill: "#059669" }, svg).textContent = "no unexpected outcomes";
      svg.setAttribute("data-drawn", "1");
      return;
    }
    var max = Math.max.apply(null, entries.map(function (e) { return e[1]; }));
    var H = 30 + entries.length * 26;
    svg.setAttribute("viewBox", "0 0 640 " + H);
    entries.forEach(function (e, i) {
      var w = Math.max(2, (e[1] / max) * 380);
      el("text", { x: 200, y: 28 + i * 26, "text-anchor": "end", "font-size": 11 }, svg).textContent = e[0];
      el("rect", { x: 208, y: 16 + i * 26, width: w, height: 18, fill: COLORS[2], "data-bar": e[0] }, svg);
      el("text", { x: 214 + w, y: 29 + i * 26, "font-size": 11 }, svg).textContent = e[1];
    });
    svg.setAttribute("data-drawn", String(entries.length));
  }
  var tl = report.timeline, xs = tl.map(function (p) { return p.t; });
  lines("chart-throughput", xs, [
    { name: "requests/s", values: tl.map(function (p) { return p.requests; }) },
    { name: "journeys/s", values: tl.map(function (p) { return p.journeys; }) },
    { name: "errors/s", values: tl.map(function (p) { return p.errors; }) }
  ], "s");
  lines("chart-latency", xs, [
    { name: "p50 ms", values: tl.map(function (p) { return p.p50; }) },
    { name: "p95 ms", values: tl.map(function (p) { return p.p95; }) },
    { name: "p99 ms", values: tl.map(function (p) { return p.p99; }) }
  ], "s");
  bars("chart-errors", Object.keys(report.errorsByCode).map(function (k) { return [k, report.errorsByCode[k]]; }).sort(function (a, b) { return b[1] - a[1]; }));
  var rs = report.resources, rx = rs.map(function (s) { return s.t; });
  var names = {};
  rs.forEach(function (s) { for (var k in s.cpu) names[k] = 1; });
  lines("chart-cpu", rx, Object.keys(names).map(function (k) { return { name: k + " CPU %", values: rs.map(function (s) { return s.cpu[k] || 0; }) }; }), "s");
  lines("chart-memory", rx, Object.keys(names).map(function (k) { return { name: k + " RSS MB", values: rs.map(function (s) { return s.rssMb[k] || 0; }) }; }), "s");
  document.body.setAttribute("data-charts-ready", "true");
})();
`;
