// sweep.html: one self-contained page (no external files or network) with the tasks as a
// sortable table, a heatmap of a chosen metric over two swept keys, and, after a
// walk-forward, its folds. The tables travel as JSON in the page; a short script draws
// them, so the page is the same for any number of tasks.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ml4t/backtest/core/error.hpp"

#include "ml4t/backtest/results/writer.hpp"
#include "ml4t/backtest/sweep/sweep.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

void write_table(JsonWriter& w, const SweepTable& t) {
  w.begin_object();
  w.key("columns").begin_array();
  for (const auto& c : t.columns) w.value(c);
  w.end_array();
  w.key("rows").begin_array();
  for (const auto& row : t.rows) {
    w.begin_array();
    for (const auto& cell : row) {
      if (const auto* d = std::get_if<double>(&cell)) {
        w.value(*d);
      } else if (const auto* i = std::get_if<int64_t>(&cell)) {
        w.value(*i);
      } else if (const auto* s = std::get_if<std::string>(&cell)) {
        w.value(*s);
      } else {
        w.null();
      }
    }
    w.end_array();
  }
  w.end_array();
  w.end_object();
}

// JSON inside <script>: "</" would end the element early.
std::string script_safe(std::string json) {
  for (size_t at = json.find("</"); at != std::string::npos; at = json.find("</", at + 3)) json.replace(at, 2, "<\\/");
  return json;
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

constexpr const char* kStyle = R"CSS(
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table { border-collapse: collapse; } th, td { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right; }
th { cursor: pointer; background: #f4f4f4; position: sticky; top: 0; } th.sorted { background: #dde8f5; }
td.key, th.key { text-align: left; } .note { color: #666; } select { margin-right: 12px; }
#heatmap td.cell { min-width: 64px; color: #111; }
)CSS";

// Sort on a header click (numbers as numbers, nulls last); the heatmap averages the
// chosen metric over the tasks sharing an (x, y) pair when more keys were swept.
constexpr const char* kScript = R"JS(
const data = JSON.parse(document.getElementById('sweep-data').textContent);
function fmt(v) { return v === null ? '' : (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : String(v)); }
function drawTable(el, t, keys) {
  const state = { col: -1, asc: true };
  function render() {
    const rows = t.rows.slice();
    if (state.col >= 0) {
      const c = state.col, s = state.asc ? 1 : -1;
      rows.sort((a, b) => {
        const x = a[c], y = b[c];
        if (x === null && y === null) return 0; if (x === null) return 1; if (y === null) return -1;
        return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * s;
      });
    }
    const head = '<tr>' + t.columns.map((c, i) => `<th data-col="${i}" class="${i < keys ? 'key' : ''}${i === state.col ? ' sorted' : ''}">${c}${i === state.col ? (state.asc ? ' &#9650;' : ' &#9660;') : ''}</th>`).join('') + '</tr>';
    const body = rows.map(r => '<tr>' + r.map((v, i) => `<td class="${i < keys ? 'key' : ''}">${fmt(v)}</td>`).join('') + '</tr>').join('');
    el.innerHTML = head + body;
    el.querySelectorAll('th').forEach(th => th.onclick = () => {
      const c = Number(th.dataset.col);
      state.asc = state.col === c ? !state.asc : true; state.col = c; render();
    });
  }
  render();
}
function drawHeatmap() {
  const t = data.tasks, swept = data.swept_keys;
  const box = document.getElementById('heatmap-box');
  if (swept.length < 2) { box.innerHTML = '<p class="note">The heatmap needs two swept keys; this sweep has ' + swept.length + '.</p>'; return; }
  const pick = id => document.getElementById(id).value;
  const xi = t.columns.indexOf(pick('hx')), yi = t.columns.indexOf(pick('hy')), mi = t.columns.indexOf(pick('hm'));
  const order = vs => vs.sort((a, b) => typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)));
  const xs = order([...new Set(t.rows.map(r => r[xi]))]), ys = order([...new Set(t.rows.map(r => r[yi]))]);
  const sum = new Map(), n = new Map();
  for (const r of t.rows) { if (r[mi] === null) continue; const k = r[xi] + '\u0000' + r[yi]; sum.set(k, (sum.get(k) || 0) + r[mi]); n.set(k, (n.get(k) || 0) + 1); }
  const values = [...sum.keys()].map(k => sum.get(k) / n.get(k));
  const lo = Math.min(...values), hi = Math.max(...values);
  let html = `<tr><th class="key">${t.columns[yi]} \\ ${t.columns[xi]}</th>` + xs.map(x => `<th>${fmt(x)}</th>`).join('') + '</tr>';
  for (const y of ys) {
    html += `<tr><th class="key">${fmt(y)}</th>`;
    for (const x of xs) {
      const k = x + '\u0000' + y;
      if (!n.has(k)) { html += '<td class="cell"></td>'; continue; }
      const v = sum.get(k) / n.get(k), f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      html += `<td class="cell" style="background: hsl(${Math.round(120 * f)}, 60%, 70%)">${fmt(v)}</td>`;
    }
    html += '</tr>';
  }
  document.getElementById('heatmap').innerHTML = html;
}
function setUpHeatmap() {
  const t = data.tasks, swept = data.swept_keys;
  const metrics = t.columns.slice(1 + swept.length);
  const options = (names, chosen) => names.map(c => `<option${c === chosen ? ' selected' : ''}>${c}</option>`).join('');
  document.getElementById('hx').innerHTML = options(swept, swept[1]);
  document.getElementById('hy').innerHTML = options(swept, swept[0]);
  document.getElementById('hm').innerHTML = options(metrics, metrics.includes('sharpe') ? 'sharpe' : metrics[0]);
  ['hx', 'hy', 'hm'].forEach(id => document.getElementById(id).onchange = drawHeatmap);
  drawHeatmap();
}
drawTable(document.getElementById('tasks'), data.tasks, 1 + data.swept_keys.length);
setUpHeatmap();
if (data.folds) drawTable(document.getElementById('folds'), data.folds, 0);
)JS";

}  // namespace

std::string render_sweep_html(const SweepTable& tasks, size_t swept_keys, const SweepTable* folds,
                              const std::string& title) {
  JsonWriter w(0);
  w.begin_object();
  w.key("swept_keys").begin_array();
  for (size_t i = 1; i <= swept_keys && i < tasks.columns.size(); ++i) w.value(tasks.columns[i]);
  w.end_array();
  w.key("tasks");
  write_table(w, tasks);
  if (folds != nullptr) {
    w.key("folds");
    write_table(w, *folds);
  }
  w.end_object();
  const std::string folds_section =
      folds == nullptr ? ""
                       : "<h2>Walk-forward folds</h2><p class=\"note\">Per fold: the windows, the parameters chosen on "
                         "the train window, and the out-of-sample metrics of the test window.</p>"
                         "<table id=\"folds\"></table>";
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title><style>{1}</style></head>\n"
      "<body><h1>{0}</h1><p class=\"note\">{2} task(s); click a column to sort. Written by ml4t-backtest {3}.</p>\n"
      "<h2>Heatmap</h2><div id=\"heatmap-box\"><label>x <select id=\"hx\"></select></label>"
      "<label>y <select id=\"hy\"></select></label><label>metric <select id=\"hm\"></select></label>"
      "<p class=\"note\">Each cell: the metric (the mean over the tasks with that pair when more keys were "
      "swept); red is low, green high.</p><table id=\"heatmap\"></table></div>\n"
      "<h2>Tasks</h2><table id=\"tasks\"></table>\n{4}\n"
      "<script type=\"application/json\" id=\"sweep-data\">{5}</script>\n<script>{6}</script>\n</body></html>\n",
      html_escape(title), kStyle, tasks.rows.size(), version(), folds_section, script_safe(w.str()), kScript);
}

fs::path write_sweep_html(const fs::path& dir, const SweepTable& tasks, size_t swept_keys, const SweepTable* folds,
                          const std::string& title) {
  const fs::path path = dir / "sweep.html", tmp = dir / ".sweep.html.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << render_sweep_html(tasks, swept_keys, folds, title);
    if (!out) throw OutputError(fmt::format("cannot write {} (disk full? folder not writable?)", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw OutputError(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
  return path;
}

}  // namespace ml4t::backtest
