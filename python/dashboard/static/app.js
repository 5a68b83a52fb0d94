// Dashboard page: renders the snapshots the server streams (server-sent events) and sends
// the kill. No framework; numbers arrive as decimal strings and are only parsed for drawing.
"use strict";

const $ = (id) => document.getElementById(id);

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "-" : String(text);
  if (cls) td.className = cls;
  return td;
}

function fillTable(id, rows, render) {
  const body = $(id).querySelector("tbody");
  body.replaceChildren();
  for (const r of rows) {
    const tr = document.createElement("tr");
    for (const td of render(r)) tr.appendChild(td);
    body.appendChild(tr);
  }
}

function age(seconds) {
  if (seconds === undefined || seconds === null) return "-";
  const s = Number(seconds);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
  return Math.floor(s / 3600) + "h" + String(Math.floor(s % 3600 / 60)).padStart(2, "0") + "m";
}

function time(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

function signed(v) {
  return String(v).startsWith("-") ? "num neg" : "num";
}

function usageBar(pct) {
  const td = document.createElement("td");
  if (pct === null || pct === undefined) { td.textContent = "unbounded"; return td; }
  const bar = document.createElement("span");
  bar.className = "bar" + (pct >= 100 ? " full" : pct >= 75 ? " warn" : "");
  const fill = document.createElement("span");
  fill.style.width = Math.min(pct, 100) + "%";
  bar.appendChild(fill);
  td.appendChild(bar);
  td.appendChild(document.createTextNode(" " + pct + "%"));
  return td;
}

function drawPnl(points) {
  const svg = $("pnl-chart");
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  if (points.length < 2) return;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => parseFloat(p[1]));
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = Math.min(0, ...ys), y1 = Math.max(0, ...ys);
  if (y1 === y0) { y1 += 1; y0 -= 1; }
  const X = (x) => ((x - x0) / Math.max(1, x1 - x0)) * 600;
  const Y = (y) => 150 - ((y - y0) / (y1 - y0)) * 140;
  const zero = document.createElementNS(ns, "line");
  zero.setAttribute("x1", "0"); zero.setAttribute("x2", "600");
  zero.setAttribute("y1", Y(0)); zero.setAttribute("y2", Y(0));
  zero.setAttribute("stroke", "#cbd5e0");
  svg.appendChild(zero);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.map((p, i) => X(xs[i]) + "," + Y(ys[i])).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", ys[ys.length - 1] < 0 ? "#c53030" : "#1f9d55");
  line.setAttribute("stroke-width", "2");
  line.setAttribute("vector-effect", "non-scaling-stroke");
  svg.appendChild(line);
  const label = (text, y) => {
    const t = document.createElementNS(ns, "text");
    t.setAttribute("x", "4"); t.setAttribute("y", String(y));
    t.setAttribute("font-size", "11"); t.setAttribute("fill", "#4a5568");
    t.textContent = text;
    svg.appendChild(t);
  };
  label("max " + Math.max(...ys).toFixed(4), 12);
  label("min " + Math.min(...ys).toFixed(4), 156);
}

function render(s) {
  const st = s.status || {};
  const states = st.states || {};
  const g = $("global-state");
  g.textContent = states.global || "?";
  g.className = "state " + (states.global || "");
  const link = $("link");
  link.textContent = s.link.connected ? "trader connected" : "trader DOWN: " + s.link.reason;
  link.className = "link " + (s.link.connected ? "up" : "down");
  $("meta").textContent = st.mode ? `${st.mode} · pid ${st.pid} · up ${age(st.uptime_s)} · seq ${st.jseq}` : "";
  document.body.dataset.version = s.version;
  document.body.dataset.state = states.global || "";

  const pnl = st.pnl_usd || {};
  const figs = $("pnl-figures");
  figs.replaceChildren();
  for (const k of ["realized", "unrealized", "daily", "fees"]) {
    const span = document.createElement("span");
    span.textContent = `${k} ${pnl[k] ?? "-"}`;
    figs.appendChild(span);
  }
  drawPnl(s.pnl || []);

  fillTable("limits", st.limits || [], (l) => [cell(l.limit), cell(l.scope), cell(l.value, "num"),
    cell(l.bound, "num"), usageBar(l.usage_pct)]);
  const conns = st.connections || {};
  fillTable("states", Object.keys(states), (k) => {
    const c = conns[k];
    return [cell(k), cell(states[k], states[k]), cell(c ? c.state : ""), cell(c ? age(c.age_s) : ""),
      cell(c ? c.open_orders : "", "num")];
  });
  fillTable("positions", st.positions || [], (p) => [cell(p.venue), cell(p.sym), cell(p.qty, "num"),
    cell(p.cost, "num"), cell(p.open_buy, "num"), cell(p.open_sell, "num"),
    cell(p.realized_usd, signed(p.realized_usd)), cell(p.unrealized_usd, signed(p.unrealized_usd))]);
  fillTable("orders", s.orders || [], (o) => [cell(o.res, "num"), cell(o.venue), cell(o.sym), cell(o.side),
    cell(o.px, "num"), cell(o.qty, "num"), cell(o.filled, "num"), cell(o.voi || "-")]);
  fillTable("fills", s.fills || [], (f) => [cell(time(f.ts_ms)), cell(f.venue), cell(f.sym), cell(f.tid)]);
  fillTable("events", s.events || [], (e) => [cell(time(e.ts_ms)), cell(e.kind), cell(e.venue), cell(e.reason)]);
}

function connect() {
  const es = new EventSource("/api/stream");
  es.addEventListener("snapshot", (ev) => render(JSON.parse(ev.data)));
  es.onerror = () => {
    const link = $("link");
    link.textContent = "dashboard stream lost, retrying…";
    link.className = "link down";
  };
}

function setupKill() {
  const kill = $("kill"), confirm = $("kill-confirm"), cancel = $("kill-cancel"), result = $("kill-result");
  const arm = (on) => { kill.hidden = on; confirm.hidden = !on; cancel.hidden = !on; };
  kill.addEventListener("click", () => arm(true));
  cancel.addEventListener("click", () => arm(false));
  confirm.addEventListener("click", async () => {
    arm(false);
    result.textContent = "killing…";
    try {
      const r = await fetch("/api/kill", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-Dashboard": "kill"},
        body: JSON.stringify({reason: "kill button"}),
      });
      const body = await r.json();
      result.textContent = body.ok ? "killed: " + body.state : "KILL FAILED: " + body.error;
    } catch (e) {
      result.textContent = "KILL FAILED: " + e;
    }
  });
}

setupKill();
connect();
