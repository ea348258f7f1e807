// The dashboard of plant-scada-emulator (docs/dashboard.md): one live channel (server-sent
// events from /dashboard/stream), the control API for actions, the DOM built with textContent
// only (tag names and comments come from a topology file, never trusted as HTML).
"use strict";

const MAX_POINTS = 600;
const CHART_HEIGHT = 160;
const TRAFFIC_POLL_MS = 1000;
const EVERY_PROCESS = "*";
const MAX_EVENTS = 300;
const NO_AMOUNT = new Set(["reset_peer", "down", "crash", "hang"]);
const AMOUNTS = {
  latency: ["latency", "Latency (ms)", Number],
  bandwidth: ["rate", "Rate (KB/s)", Number],
  slicer: ["average_size", "Slice (bytes)", Number],
  timeout: ["timeout", "Timeout (ms)", Number],
  limit_data: ["bytes", "Bytes", Number],
  error_reply: ["error", "Error name", String],
};
const TYPE_ORDER = ["alarm", "trends", "reports", "io"];
const FLASH = [{ backgroundColor: "#fff3b0" }, { backgroundColor: "transparent" }];

const view = {
  layout: null,
  processes: [],
  tags: new Map(),
  trends: [],
  series: new Map(),
  trendServers: {},
  faults: [],
  events: [],
  charts: new Map(),
  alarms: null,
  connection: null,
};

// ---- small helpers -----------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function byId(id) {
  return document.getElementById(id);
}

function iso(seconds) {
  return new Date(seconds * 1000).toISOString();
}

function timeOf(seconds) {
  return seconds === null || seconds === undefined ? "" : iso(seconds).slice(11, 19);
}

function dateTimeOf(seconds) {
  return seconds === null || seconds === undefined ? "" : iso(seconds).slice(0, 19).replace("T", " ");
}

let toastTimer = null;
function toast(text, error) {
  const node = byId("toast");
  node.textContent = text;
  node.className = error ? "error" : "";
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, error ? 8000 : 3000);
}

async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    throw new Error(data && data.error ? data.error : `${response.status} ${response.statusText}`);
  }
  return data;
}

function act(label, method, path, body) {
  return api(method, path, body)
    .then((data) => { toast(`${label}: done`); return data; })
    .catch((error) => { toast(`${label}: ${error.message}`, true); });
}

function enc(text) {
  return encodeURIComponent(text);
}

// ---- header --------------------------------------------------------------------------------

function setLive(connected) {
  const pill = byId("live");
  pill.textContent = connected ? "live" : "reconnecting…";
  pill.className = `pill ${connected ? "good" : "warn"}`;
}

function setHealth(health) {
  const pill = byId("health");
  pill.textContent = health;
  pill.className = `pill ${health === "healthy" ? "good" : "bad"}`;
}

function setClock(now) {
  const virtual = view.layout && view.layout.clock === "virtual" ? " (virtual clock)" : "";
  byId("clock").textContent = `plant time ${dateTimeOf(now)} UTC${virtual}`;
}

// ---- topology ------------------------------------------------------------------------------

function processAction(proc, action) {
  const path = `/processes/${enc(proc.process)}/${action}?computer=${enc(proc.computer)}`;
  return act(`${action} ${proc.process} on ${proc.computer}`, "POST", path);
}

function processRow(proc, showComputer) {
  const isMain = proc.role === "main" || proc.role === "active";
  const listeners = proc.listeners.map((l) =>
    h("span", { class: "listener", title: "address:port, TLS, open connections" },
      `${l.address}:${l.port}${l.tls ? " TLS" : ""} · ${l.connections} conn`));
  return h("div", {
    class: `process${isMain ? " is-main" : ""}`,
    dataset: { process: proc.id, state: proc.state, role: proc.role || "" },
  },
  h("div", { class: "who" },
    h("span", { class: "name" }, proc.process),
    h("span", { class: `pill state state-${proc.state}` }, proc.state),
    proc.hung ? h("span", { class: "pill bad" }, "hung") : null,
    proc.role ? h("span", { class: `pill role role-${proc.role === "standby" ? "standby" : "main"}` }, proc.role) : null,
    proc.mode ? h("span", { class: "muted" }, proc.mode) : null,
    showComputer ? h("span", { class: "muted" }, `on ${proc.computer}`) : null),
  h("div", { class: "actions" },
    h("button", { type: "button", disabled: proc.state === "stopped",
      onclick: () => processAction(proc, "stop") }, "Stop"),
    h("button", { type: "button", disabled: proc.state === "running" && !proc.hung,
      onclick: () => processAction(proc, "start") }, "Start"),
    h("button", { type: "button", class: "danger", disabled: proc.state !== "running",
      onclick: () => processAction(proc, "crash") }, "Crash")),
  listeners.length ? h("div", { class: "listeners" }, listeners) : null,
  proc.reason && proc.state !== "running" ? h("div", { class: "reason" }, proc.reason) : null);
}

function renderTopology() {
  const layout = view.layout;
  if (!layout) return;
  const computers = layout.computers.map((computer) => {
    const own = view.processes.filter((p) => p.computer === computer.name && !p.cluster);
    return h("article", { class: "card", dataset: { computer: computer.name } },
      h("h3", {}, computer.name, h("span", { class: "muted" }, `CtAPI ${computer.ctapi}`)),
      h("div", { class: "addresses" },
        computer.addresses.map((a) => `${a.name} ${a.address}`).join(" · ") || "no network address"),
      own.map((p) => processRow(p, false)));
  });
  byId("computers").replaceChildren(...computers);
  const clusters = layout.clusters.map((cluster) => {
    const members = view.processes.filter((p) => p.cluster === cluster.name);
    const types = [...new Set(members.map((p) => p.type))]
      .sort((a, b) => (TYPE_ORDER.indexOf(a) + 99) % 99 - (TYPE_ORDER.indexOf(b) + 99) % 99);
    return h("article", { class: "card", dataset: { cluster: cluster.name } },
      h("h3", {}, `Cluster ${cluster.name}`, h("span", { class: "muted" }, cluster.description)),
      types.map((type) => [
        h("div", { class: "group-title" }, `${type} servers`),
        h("div", { class: "pair" }, members.filter((p) => p.type === type)
          .sort((a, b) => (a.mode === "standby") - (b.mode === "standby"))
          .map((p) => processRow(p, true))),
      ]));
  });
  byId("clusters").replaceChildren(...clusters);
}

// ---- tags ----------------------------------------------------------------------------------

function writeForm(tag, cell) {
  const input = h("input", { name: "value", "aria-label": `new value of ${tag.name}`, value: tag.text });
  const cancel = () => cell.replaceChildren(writeButton(tag, cell));
  const form = h("form", {
    class: "write-form",
    onsubmit: (event) => {
      event.preventDefault();
      act(`write ${tag.name}`, "POST", `/dashboard/tags/${enc(tag.name)}/write`, { value: input.value })
        .then(cancel);
    },
    onkeydown: (event) => { if (event.key === "Escape") cancel(); },
  }, input, h("button", { type: "submit" }, "Write"));
  cell.replaceChildren(form);
  input.focus();
  input.select();
}

function writeButton(tag, cell) {
  return h("button", { type: "button", title: "write a value, as a CtAPI client would",
    onclick: () => writeForm(view.tags.get(tag.name).data, cell) }, "Set");
}

function tagRow(tag) {
  const value = h("td", { class: "num value" });
  const quality = h("td", { class: "quality" });
  const time = h("td", { class: "time" });
  const write = h("td", { class: "write" });
  const row = h("tr", { dataset: { tag: tag.name } },
    h("td", { title: tag.comment }, tag.name), value, h("td", {}, tag.units), quality, time, write);
  if (tag.writable) write.append(writeButton(tag, write));
  const entry = { row, value, quality, time, data: tag, search: `${tag.name} ${tag.comment}`.toLowerCase() };
  fillTag(entry, tag, false);
  return entry;
}

function fillTag(entry, tag, flash) {
  entry.data = tag;
  entry.value.textContent = tag.text;
  entry.quality.textContent = tag.quality;
  entry.quality.className = `quality q-${tag.quality}`;
  entry.time.textContent = timeOf(tag.time);
  if (flash && !entry.row.hidden) {
    entry.value.animate(FLASH, { duration: 800, easing: "ease-out" }); // no layout to restart
  }
}

function renderTags(tags) {
  view.tags = new Map();
  const rows = tags.map((tag) => {
    const entry = tagRow(tag);
    view.tags.set(tag.name, entry);
    return entry.row;
  });
  byId("tag-table").tBodies[0].replaceChildren(...rows);
  byId("tag-count").textContent = `(${tags.length})`;
  filterTags();
}

function updateTags(tags) {
  for (const tag of tags) {
    const entry = view.tags.get(tag.name);
    if (entry) fillTag(entry, tag, true);
    liveSample(tag);
  }
}

function filterTags() {
  const query = byId("tag-search").value.trim().toLowerCase();
  for (const entry of view.tags.values()) entry.row.hidden = query !== "" && !entry.search.includes(query);
}

// ---- alarms --------------------------------------------------------------------------------

function priorityClass(priority) {
  if (priority <= 1) return "prio-high";
  return priority <= 3 ? "prio-mid" : "prio-low";
}

function stateMatches(state, wanted) {
  if (!wanted) return true;
  const words = state.toLowerCase().split(" ");
  const folded = wanted.toLowerCase();
  return folded.includes(" ") || folded === "disabled" ? state.toLowerCase() === folded : words.includes(folded);
}

function renderAlarms(alarms) {
  view.alarms = alarms;
  const wanted = byId("alarm-filter").value;
  const shown = alarms.active.filter((a) => stateMatches(a.state, wanted));
  const server = byId("alarm-server");
  server.textContent = alarms.server ? `from ${alarms.server}` : alarms.error || "";
  const rows = shown.map((a) => h("tr", {
    class: `${a.acked ? "" : "unacked "}${priorityClass(a.priority)}`,
    dataset: { alarm: a.tag, state: a.state },
  },
  h("td", { class: "time" }, dateTimeOf(a.time)),
  h("td", {}, a.tag),
  h("td", {}, a.name),
  h("td", {}, a.description),
  h("td", { title: `category ${a.category}` }, a.category_name || String(a.category)),
  h("td", { class: "num" }, String(a.priority)),
  h("td", { class: `state${a.on ? " alarm-on" : ""}` }, a.state + (a.condition ? ` (${a.condition})` : "")),
  h("td", {}, a.acked ? null : h("button", {
    type: "button",
    onclick: () => act(`acknowledge ${a.tag}`, "POST", `/alarms/${enc(a.tag)}/ack`),
  }, "Ack"))));
  byId("alarm-table").tBodies[0].replaceChildren(...rows);
  byId("alarm-count").textContent = `(${alarms.active.length})`;
  byId("alarm-empty").hidden = alarms.active.length > 0;
  const filtered = byId("alarm-filtered");
  filtered.hidden = !wanted || shown.length === alarms.active.length;
  filtered.textContent = `${alarms.active.length - shown.length} of ${alarms.active.length} hidden by the state filter`;
  byId("ack-all").disabled = !alarms.active.some((a) => !a.acked);
  const log = alarms.log.filter((e) => stateMatches(e.state, wanted)).map((e) => h("tr", { dataset: { state: e.state } },
    h("td", { class: "time" }, dateTimeOf(e.time)), h("td", {}, e.tag), h("td", {}, e.kind),
    h("td", {}, e.condition), h("td", {}, e.user), h("td", {}, e.state)));
  byId("alarm-log").tBodies[0].replaceChildren(...log);
}

// ---- trends --------------------------------------------------------------------------------

function renderTrendCards(trends) {
  view.trends = trends;
  for (const chart of view.charts.values()) chart.destroy();
  view.charts = new Map();
  const cards = trends.map((trend) => h("article", { class: "chart", dataset: { trend: trend.name } },
    h("header", {}, h("h3", { title: trend.comment }, trend.name), h("span", { class: "last" })),
    h("div", { class: "plot" }),
    h("div", { class: "axis" }, h("span", { class: "range" }), h("span", { class: "span" }))));
  byId("trend-charts").replaceChildren(...cards);
  trends.forEach((trend, i) => view.charts.set(trend.name, makeChart(cards[i], trend)));
}

function valueText(value, units) {
  return value === null || value === undefined ? "no value" : `${Number(value).toFixed(2)}${units ? ` ${units}` : ""}`;
}

// One uPlot chart (emulator/dashboard/static/uPlot.iife.min.js, docs/dashboard.md): a time
// axis in plant time (UTC) and a value axis; the legend shows the values under the cursor.
function makeChart(card, trend) {
  const plot = card.querySelector(".plot");
  const style = getComputedStyle(document.documentElement);
  const accent = style.getPropertyValue("--accent").trim() || "#1f6feb";
  const muted = style.getPropertyValue("--muted").trim() || "#4f5b69";
  const grid = { stroke: style.getPropertyValue("--line").trim() || "#d8dee4", width: 1 };
  const chart = new uPlot({
    width: Math.max(plot.clientWidth, 160),
    height: CHART_HEIGHT,
    scales: { x: { time: true } },
    cursor: { drag: { x: false, y: false } },
    legend: { live: true },
    series: [
      { label: "time (UTC)", value: (u, v) => (v === null || v === undefined ? "--" : dateTimeOf(v)) },
      {
        label: trend.tag,
        stroke: accent,
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        value: (u, v) => (v === null || v === undefined ? "--" : valueText(v, trend.units)),
      },
    ],
    axes: [
      {
        stroke: muted,
        grid,
        space: 70,
        values: (u, splits) => {
          const ticks = splits.map((t) => timeOf(t));
          card.dataset.ticks = ticks.join(" ");
          return ticks;
        },
      },
      { stroke: muted, grid, size: 48, values: (u, splits) => splits.map((v) => Number(v).toFixed(1)) },
    ],
  }, [[], []], plot);
  if (window.ResizeObserver) {
    new ResizeObserver(() => {
      const width = Math.max(plot.clientWidth, 160);
      if (width !== chart.width) chart.setSize({ width, height: CHART_HEIGHT });
    }).observe(plot);
  }
  return chart;
}

function addPoints(name, points) {
  const series = view.series.get(name) || [];
  for (const point of points) {
    if (series.length && point[0] <= series[series.length - 1][0]) continue;
    series.push(point);
  }
  if (series.length > MAX_POINTS) series.splice(0, series.length - MAX_POINTS);
  view.series.set(name, series);
}

function applySamples(samples) {
  view.trendServers = samples.servers;
  const names = Object.values(samples.servers);
  const running = [...new Set(names.filter((n) => n))];
  byId("trend-server").textContent = running.length
    ? `history and live samples from ${running.join(", ")}`
      + (names.includes(null) ? "; live tag values where no trends server runs" : "")
    : "no trends server running: live tag values only";
  for (const name of samples.reset) view.series.set(name, []);
  for (const [name, points] of Object.entries(samples.points)) addPoints(name, points);
  drawCharts();
}

function liveSample(tag) {
  if (tag.number === null || tag.number === undefined) return;
  let drawn = false;
  for (const trend of view.trends) {
    if (view.trendServers[trend.name] === null && trend.type === "periodic"
        && trend.tag.toLowerCase() === tag.name.toLowerCase()) {
      addPoints(trend.name, [[tag.time, tag.number]]);
      drawn = true;
    }
  }
  if (drawn) drawCharts();
}

function drawCharts() {
  for (const trend of view.trends) {
    const card = byId("trend-charts").querySelector(`[data-trend="${CSS.escape(trend.name)}"]`);
    if (card) drawChart(card, trend, view.series.get(trend.name) || []);
  }
}

function drawChart(card, trend, series) {
  const values = series.filter((p) => p[1] !== null);
  const last = series.length ? series[series.length - 1] : null;
  card.querySelector(".last").textContent = last ? valueText(last[1], trend.units) : "";
  card.dataset.points = String(series.length);
  const chart = view.charts.get(trend.name);
  if (chart) chart.setData([series.map((p) => p[0]), series.map((p) => p[1])]);
  if (!values.length) {
    card.querySelector(".range").textContent = "no samples yet";
    card.querySelector(".span").textContent = "";
    return;
  }
  const numbers = values.map((p) => p[1]);
  card.querySelector(".range").textContent =
    `${Math.min(...numbers).toFixed(2)} … ${Math.max(...numbers).toFixed(2)} ${trend.units}`;
  card.querySelector(".span").textContent = `${timeOf(series[0][0])} – ${timeOf(last[0])} UTC`;
}

// ---- faults --------------------------------------------------------------------------------

function renderFaults(faults) {
  view.faults = faults;
  const rows = faults.map((f) => h("tr", { dataset: { fault: f.name, active: String(f.active) } },
    h("td", { title: f.comment || "" }, f.name),
    h("td", {}, f.kind),
    h("td", {}, [f.process || "every process", f.computer ? `on ${f.computer}` : ""].join(" ").trim()),
    h("td", {}, h("span", { class: `pill ${f.active ? "bad" : ""}` }, f.active ? "active" : "inactive")),
    h("td", {}, f.active
      ? h("button", { type: "button", onclick: () => act(`clear ${f.name}`, "DELETE", `/faults/${enc(f.name)}`) }, "Clear")
      : h("button", { type: "button", class: "danger", onclick: () => act(`activate ${f.name}`, "POST", "/faults", { name: f.name }) }, "Activate"))));
  byId("fault-table").tBodies[0].replaceChildren(...rows);
}

function fillFaultForm() {
  const form = byId("fault-form");
  form.elements.kind.replaceChildren(...view.layout.fault_kinds.map((k) => h("option", { value: k }, k)));
  updateProcessChoices();
  updateAmount();
}

function updateProcessChoices() {
  const select = byId("fault-form").elements.process;
  const chosen = select.value;
  const names = [...new Set(view.processes.map((p) => p.process))].sort();
  const current = [...select.options].map((o) => o.value);
  if (current.length === names.length + 2 && names.every((n, i) => current[i + 2] === n)) return;
  select.replaceChildren(
    h("option", { value: "", disabled: true }, "choose a process…"),
    h("option", { value: EVERY_PROCESS }, "every process"),
    ...names.map((n) => h("option", { value: n }, n)));
  select.value = chosen === EVERY_PROCESS || names.includes(chosen) ? chosen : "";
}

function updateAmount() {
  const form = byId("fault-form");
  const kind = form.elements.kind.value;
  const amount = AMOUNTS[kind];
  byId("fault-amount-label").textContent = amount ? amount[1] : "No amount";
  form.elements.amount.disabled = NO_AMOUNT.has(kind);
  form.elements.amount.required = !NO_AMOUNT.has(kind);
}

function submitFault(event) {
  event.preventDefault();
  const form = event.target;
  const kind = form.elements.kind.value;
  const spec = { name: form.elements.name.value.trim(), kind };
  const target = form.elements.process.value;
  if (!target) {
    toast("Process: choose one, or every process", true);
    return;
  }
  if (target !== EVERY_PROCESS) spec.process = target;
  const amount = AMOUNTS[kind];
  if (amount && !NO_AMOUNT.has(kind)) {
    const value = amount[2](form.elements.amount.value.trim());
    if (amount[2] === Number && !Number.isFinite(value)) {
      toast(`${amount[1]}: write a number`, true);
      return;
    }
    spec[amount[0]] = value;
  }
  act(`add fault ${spec.name}`, "POST", "/faults", spec);
}

// ---- traffic -------------------------------------------------------------------------------

function renderTraffic(traffic) {
  const listeners = [...traffic.listeners].sort((a, b) => b.requests - a.requests || b.connections - a.connections);
  const rows = listeners.map((l) => {
    const busiest = Object.entries(l.ops).sort((a, b) => b[1] - a[1]).slice(0, 3)
      .map(([op, n]) => `${op} ${n}`).join(", ");
    return h("tr", { dataset: { listener: `${l.computer}/${l.process}/${l.port}` } },
      h("td", {}, `${l.address}:${l.port}${l.tls ? " TLS" : ""}`),
      h("td", {}, `${l.process} on ${l.computer}`),
      h("td", { class: "num connections" }, String(l.connections)),
      h("td", { class: "num requests" }, String(l.requests)),
      h("td", { class: "muted" }, busiest));
  });
  byId("traffic-table").tBodies[0].replaceChildren(...rows);
  const select = byId("traffic-connection");
  select.replaceChildren(...traffic.connections.map((c) =>
    h("option", { value: c.id }, `${c.peer} → ${c.process} on ${c.computer} (${c.listener})`)));
  select.value = traffic.connection || "";
  view.connection = traffic.connection;
  const chosen = traffic.connections.find((c) => c.id === traffic.connection);
  const items = (chosen ? chosen.exchanges : []).map((e) => h("li", {
    class: e.ok ? "" : "failed", dataset: { op: e.op },
  }, `${timeOf(e.time)} → ${e.request}`, h("span", { class: "reply" }, `← ${e.reply}`)));
  byId("exchange-list").replaceChildren(...items);
  byId("exchange-empty").hidden = traffic.connections.length > 0;
}

async function refreshTraffic() {
  try {
    const query = view.connection ? `?connection=${enc(view.connection)}` : "";
    renderTraffic(await api("GET", `/dashboard/traffic${query}`));
  } catch {
    // the live pill says when the plant is gone; the next poll tries again
  }
}

async function pollTraffic() {
  await refreshTraffic();
  setTimeout(pollTraffic, TRAFFIC_POLL_MS);
}

// ---- event log -----------------------------------------------------------------------------

const EVENT_SKIP = new Set(["seq", "time", "event", "level", "logger"]);

function eventItem(e) {
  const details = Object.entries(e).filter(([k]) => !EVENT_SKIP.has(k))
    .map(([k, v]) => `${k}=${v}`).join(" ");
  const text = `${timeOf(e.time)} ${e.event} ${details}`;
  return h("li", { class: `level-${e.level}`, dataset: { event: e.event }, title: e.level }, text);
}

function addEvents(events, replace) {
  const list = byId("event-list");
  const items = events.map(eventItem).reverse();
  if (replace) list.replaceChildren(...items);
  else list.prepend(...items);
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
  filterEvents();
}

function filterEvents() {
  const query = byId("event-search").value.trim().toLowerCase();
  for (const item of byId("event-list").children) {
    item.hidden = query !== "" && !item.textContent.toLowerCase().includes(query);
  }
}

// ---- the live channel ----------------------------------------------------------------------

function applySnapshot(s) {
  view.layout = s;
  byId("project").textContent = s.project.name;
  byId("project-description").textContent = s.project.description;
  document.title = `${s.project.name} · Plant SCADA emulator`;
  view.processes = s.processes;
  setHealth(s.health);
  setClock(s.now);
  renderTrendCards(s.trends);
  view.series = new Map();
  renderTags(s.tags);
  renderAlarms(s.alarms);
  renderFaults(s.faults);
  fillFaultForm();
  applySamples(s.samples);
  renderTopology();
  addEvents(s.events, true);
}

function applyUpdate(u) {
  if (u.now !== undefined) setClock(u.now);
  if (u.health) setHealth(u.health);
  if (u.samples) applySamples(u.samples);
  if (u.processes) {
    view.processes = u.processes;
    updateProcessChoices();
  }
  if (u.processes) renderTopology();
  if (u.tags) updateTags(u.tags);
  if (u.alarms) renderAlarms(u.alarms);
  if (u.faults) renderFaults(u.faults);
  if (u.events) addEvents(u.events, false);
}

function connect() {
  const source = new EventSource("/dashboard/stream");
  source.addEventListener("snapshot", (event) => {
    applySnapshot(JSON.parse(event.data));
    setLive(true);
    document.body.dataset.ready = "true";
  });
  source.addEventListener("update", (event) => applyUpdate(JSON.parse(event.data)));
  source.addEventListener("error", () => setLive(false));
}

document.addEventListener("DOMContentLoaded", () => {
  byId("tag-search").addEventListener("input", filterTags);
  byId("event-search").addEventListener("input", filterEvents);
  byId("alarm-filter").addEventListener("change", () => { if (view.alarms) renderAlarms(view.alarms); });
  byId("traffic-connection").addEventListener("change", (event) => {
    view.connection = event.target.value || null;
    refreshTraffic();
  });
  byId("ack-all").addEventListener("click", () => act("acknowledge all", "POST", "/dashboard/alarms/ack"));
  byId("clear-faults").addEventListener("click", () => act("clear every fault", "DELETE", "/faults"));
  const form = byId("fault-form");
  form.addEventListener("submit", submitFault);
  form.elements.kind.addEventListener("change", updateAmount);
  const initial = byId("initial-state"); // the snapshot served with the page (app.py)
  if (initial) applySnapshot(JSON.parse(initial.textContent));
  connect();
  pollTraffic();
});
