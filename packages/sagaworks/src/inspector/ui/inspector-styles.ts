/** The inspector's stylesheet, served by the app at `/ui/assets/inspector.css` (no CDN, works offline). */
export const INSPECTOR_CSS = `
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2433; --muted: #6b7385; --line: #dde1e8; --accent: #3158d4;
  --ok: #1f8a4c; --ok-bg: #e3f5ea; --run: #2563c9; --run-bg: #e3edfc; --warn: #a86400; --warn-bg: #fff1d6;
  --bad: #c0352b; --bad-bg: #fde5e2; --undo: #7046b8; --undo-bg: #efe8fb; --idle: #8a91a0; --idle-bg: #eef0f3;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font-size: 14px; line-height: 1.45; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
header.top { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #18203a; color: #fff; flex-wrap: wrap; }
header.top .brand { font-weight: 700; font-size: 16px; color: #fff; letter-spacing: .2px; }
header.top .brand span { color: #9fb3ff; font-weight: 500; }
header.top nav { display: flex; gap: 16px; }
header.top nav a { color: #c9d3f5; }
header.top nav a.active { color: #fff; font-weight: 600; }
#token-form { margin-left: auto; display: flex; gap: 6px; align-items: center; font-size: 12.5px; color: #c9d3f5; }
#token-form input { padding: 4px 8px; border-radius: 6px; border: 1px solid #3a4670; background: #222b4a; color: #fff; width: 150px; }
#token-form button, #token-form a { font-size: 12.5px; }
#token-form.has-token .when-empty, #token-form:not(.has-token) .when-set { display: none; }
main { padding: 20px 24px 40px; max-width: 1400px; margin: 0 auto; }
h1 { font-size: 20px; margin: 4px 0 14px; display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
h2 { font-size: 15px; margin: 0 0 10px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin-bottom: 16px; overflow-x: auto; }
.muted { color: var(--muted); }
.counts { display: flex; gap: 10px; flex-wrap: wrap; margin-bottom: 14px; }
.count { display: flex; flex-direction: column; min-width: 118px; padding: 10px 14px; border-radius: 10px; background: var(--panel); border: 1px solid var(--line); color: var(--ink); }
.count:hover { text-decoration: none; border-color: var(--accent); }
.count.selected { border-color: var(--accent); box-shadow: 0 0 0 2px #d5defa; }
.count b { font-size: 22px; line-height: 1.1; }
.count small { color: var(--muted); font-size: 11.5px; letter-spacing: .4px; }
form.filters { display: flex; gap: 10px; align-items: end; flex-wrap: wrap; }
form.filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 3px; }
select, input[type=text], input[type=password], input[type=number], textarea { padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; font: inherit; background: #fff; color: var(--ink); }
button { font: inherit; padding: 6px 12px; border-radius: 6px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .45; cursor: not-allowed; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 11.5px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); font-weight: 600; }
tr:last-child td { border-bottom: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 600; letter-spacing: .3px; background: var(--idle-bg); color: var(--idle); white-space: nowrap; }
.b-COMPLETED { background: var(--ok-bg); color: var(--ok); }
.b-RUNNING, .b-STARTED, .b-EXECUTING { background: var(--run-bg); color: var(--run); }
.b-COMPENSATING { background: var(--warn-bg); color: var(--warn); }
.b-COMPENSATED { background: var(--undo-bg); color: var(--undo); }
.b-FAILED { background: var(--bad-bg); color: var(--bad); }
.b-STALLED { background: var(--warn-bg); color: var(--bad); }
.b-WAITING { background: var(--warn-bg); color: var(--warn); }
.b-SKIPPED { background: var(--idle-bg); color: var(--idle); }
tr.skipped td { color: var(--idle); }
.error-text { color: var(--bad); }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: 8px 18px; }
.facts div { display: flex; flex-direction: column; }
.facts dt { font-size: 11.5px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) 320px; gap: 16px; align-items: start; }
@media (max-width: 1000px) { .grid2 { grid-template-columns: 1fr; } }
.diagram { overflow-x: auto; }
svg.flow { max-width: 100%; height: auto; font-family: inherit; }
svg.flow .edge { stroke: #7d8597; stroke-width: 1.6; fill: none; }
svg.flow .edge.dashed { stroke: var(--undo); stroke-dasharray: 6 4; }
svg.flow .edge.dashed.fail { stroke: var(--bad); opacity: .7; }
svg.flow .head { fill: #7d8597; }
svg.flow .head.back { fill: var(--undo); }
svg.flow .start { fill: var(--ink); }
svg.flow .node rect { fill: #fff; stroke: #b7bfcc; stroke-width: 1.5; }
svg.flow .node text { text-anchor: middle; fill: var(--ink); }
svg.flow .node text.name { font-size: 13px; font-weight: 600; }
svg.flow .node text.sub { font-size: 11px; fill: var(--muted); }
svg.flow .node.undo rect { fill: #faf8fe; stroke: #c9b8ea; stroke-dasharray: 5 3; }
svg.flow .st-COMPLETED rect { fill: var(--ok-bg); stroke: var(--ok); }
svg.flow .st-EXECUTING rect { fill: var(--run-bg); stroke: var(--run); }
svg.flow .st-FAILED rect { fill: var(--bad-bg); stroke: var(--bad); }
svg.flow .st-COMPENSATING rect { fill: var(--warn-bg); stroke: var(--warn); }
svg.flow .st-COMPENSATED rect { fill: var(--undo-bg); stroke: var(--undo); }
svg.flow .node.wait rect { stroke-dasharray: 7 4; }
svg.flow .st-WAITING rect { fill: var(--warn-bg); stroke: var(--warn); }
svg.flow .st-SKIPPED rect { fill: var(--idle-bg); stroke: var(--idle); stroke-dasharray: 2 3; }
svg.flow .st-SKIPPED text { fill: var(--idle); }
svg.flow .node text.wait-line { font-size: 10.5px; fill: var(--warn); }
svg.flow .node.current rect { stroke-width: 3; }
svg.flow .node.child rect.inner { fill: none; stroke-width: 1; }
svg.flow .stage rect.bar { fill: var(--ink); stroke: none; }
svg.flow .stage text.stage-name { text-anchor: middle; font-size: 11px; font-weight: 600; fill: var(--muted); }
svg.flow .stage.current rect.bar { fill: var(--run); }
tr.branch td { background: #fafbfc; font-size: 12.5px; }
tr.branch td.branch-name { padding-left: 26px; }
svg.flow .node.undo.undo-active rect { fill: var(--warn-bg); stroke: var(--warn); stroke-dasharray: none; }
svg.flow .node.undo.undo-failed rect { fill: var(--bad-bg); stroke: var(--bad); }
svg.flow .node.undo.undo-done rect { fill: var(--undo-bg); stroke: var(--undo); stroke-dasharray: none; }
svg.flow .terminal rect { fill: var(--idle-bg); stroke: #b7bfcc; }
svg.flow .terminal text { text-anchor: middle; font-size: 12px; font-weight: 600; fill: var(--muted); }
svg.flow .terminal.ok.on rect { fill: var(--ok-bg); stroke: var(--ok); }
svg.flow .terminal.ok.on text { fill: var(--ok); }
svg.flow .terminal.undone.on rect { fill: var(--undo-bg); stroke: var(--undo); }
svg.flow .terminal.undone.on text { fill: var(--undo); }
svg.flow .legend { font-size: 11px; fill: var(--muted); }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 14px; border-left: 2px solid var(--line); }
ol.timeline li { position: relative; padding: 0 0 10px 12px; }
ol.timeline li::before { content: ""; position: absolute; left: -21px; top: 5px; width: 10px; height: 10px; border-radius: 50%; background: var(--idle); border: 2px solid var(--bg); }
ol.timeline li.t-COMPLETED::before { background: var(--ok); }
ol.timeline li.t-EXECUTING::before, ol.timeline li.t-RUNNING::before, ol.timeline li.t-STARTED::before { background: var(--run); }
ol.timeline li.t-FAILED::before { background: var(--bad); }
ol.timeline li.t-COMPENSATING::before { background: var(--warn); }
ol.timeline li.t-COMPENSATED::before { background: var(--undo); }
ol.timeline .when { color: var(--muted); font-size: 12px; }
ol.timeline .what { font-weight: 600; }
ol.timeline .reason { color: var(--ink); font-size: 13px; }
.actions .row { display: flex; gap: 8px; flex-wrap: wrap; margin-bottom: 10px; align-items: center; }
.actions label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: var(--muted); width: 100%; }
.actions textarea { width: 100%; min-height: 52px; resize: vertical; }
#action-result, .action-result { margin-top: 8px; padding: 8px 10px; border-radius: 6px; font-size: 13px; white-space: pre-wrap; }
#action-result:empty, .action-result:empty { display: none; }
#action-result.ok, .action-result.ok { background: var(--ok-bg); color: var(--ok); }
#action-result.error, .action-result.error { background: var(--bad-bg); color: var(--bad); }
#action-result.pending, #action-result.plan, .action-result.pending { background: var(--run-bg); color: var(--ink); }
.actions input[name=reason] { width: 100%; }
.decide { display: flex; gap: 6px; flex-wrap: wrap; align-items: center; min-width: 300px; }
.decide input[name=reason] { flex: 1 1 140px; }
.decide .action-result { flex-basis: 100%; margin-top: 2px; }
.live-toggle, form.filters label.live-toggle { font-size: 12px; color: var(--muted); display: inline-flex; flex-direction: row; gap: 4px; align-items: center; }
.empty { padding: 24px; text-align: center; color: var(--muted); }
`;
