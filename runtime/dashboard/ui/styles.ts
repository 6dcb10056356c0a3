/**
 * The page's style sheet, served as /assets/app.css (a file of its own: the Content-Security-Policy allows no inline
 * styles). Kept as a string so that it ships inside the compiled package like the rest of the code.
 */
export const DASHBOARD_CSS = `
:root {
  --fg: #1d2430; --muted: #5b6676; --bg: #f6f7f9; --card: #fff; --line: #dde1e7; --accent: #1f4e79; --accent-fg: #fff;
  --ok: #1b7f3b; --ok-bg: #e3f4e8; --bad: #b42318; --bad-bg: #fde8e6; --run: #175cd3; --run-bg: #e4edfd;
  --wait: #8a5a00; --wait-bg: #fff3d6; --off: #555e6b; --off-bg: #eceef1;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.45; color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #f5a623; outline-offset: 1px; }
header.top { background: var(--accent); color: var(--accent-fg); padding: 0.6rem 1.2rem; display: flex; gap: 1.5rem; align-items: center; flex-wrap: wrap; }
header.top .brand { font-weight: 700; font-size: 1.05rem; }
header.top .mode { font-size: 0.85rem; opacity: 0.85; }
nav.main ul { list-style: none; margin: 0; padding: 0; display: flex; gap: 0.3rem; flex-wrap: wrap; }
nav.main a { color: var(--accent-fg); text-decoration: none; padding: 0.3rem 0.65rem; border-radius: 4px; display: inline-block; }
nav.main a[aria-current="page"] { background: rgba(255,255,255,0.2); font-weight: 600; }
nav.main a:hover { background: rgba(255,255,255,0.12); }
main { padding: 1rem 1.2rem 3rem; max-width: 1280px; margin: 0 auto; }
h1 { font-size: 1.45rem; margin: 0.3rem 0 0.8rem; }
h2 { font-size: 1.15rem; margin: 1.3rem 0 0.5rem; }
h3 { font-size: 1rem; margin: 0.9rem 0 0.4rem; }
.muted { color: var(--muted); }
.loading { color: var(--muted); padding: 1rem; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 0.8rem 1rem; margin-bottom: 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 0.8rem; margin-bottom: 1rem; }
.count {
  background: var(--card);
  border: 1px solid var(--line);
  border-radius: 6px;
  padding: 0.7rem 1rem;
  text-decoration: none;
  color: var(--fg);
  display: block;
}
.count .n { font-size: 1.7rem; font-weight: 700; display: block; }
.count.failed .n { color: var(--bad); }
.count.running .n { color: var(--run); }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); font-size: 0.92rem; }
caption { text-align: left; font-weight: 600; padding: 0.4rem 0; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f5; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.86rem; }
pre {
  background: #f0f2f5;
  border: 1px solid var(--line);
  border-radius: 4px;
  padding: 0.6rem;
  overflow: auto;
  max-height: 24rem;
  white-space: pre-wrap;
  word-break: break-word;
  margin: 0.3rem 0;
}
pre.stack { background: var(--bad-bg); border-color: #f4c7c3; }
.status {
  display: inline-block;
  padding: 0.05rem 0.45rem;
  border-radius: 999px;
  font-size: 0.78rem;
  font-weight: 600;
  letter-spacing: 0.02em;
  background: var(--off-bg);
  color: var(--off);
  white-space: nowrap;
}
.status-succeeded { background: var(--ok-bg); color: var(--ok); }
.status-failed, .status-timed_out { background: var(--bad-bg); color: var(--bad); }
.status-running, .status-cancelling { background: var(--run-bg); color: var(--run); }
.status-pending, .status-paused { background: var(--wait-bg); color: var(--wait); }
.status-cancelled, .status-skipped { background: var(--off-bg); color: var(--off); }
button, .button {
  font: inherit;
  padding: 0.35rem 0.8rem;
  border-radius: 4px;
  border: 1px solid var(--accent);
  background: var(--accent);
  color: var(--accent-fg);
  cursor: pointer;
}
button.secondary { background: var(--card); color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
button:disabled { opacity: 0.5; cursor: default; }
.actions { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; margin: 0.5rem 0; }
form.filters { display: flex; gap: 0.8rem; align-items: flex-end; flex-wrap: wrap; margin-bottom: 0.8rem; }
label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); gap: 0.15rem; }
input, select, textarea { font: inherit; padding: 0.3rem 0.45rem; border: 1px solid #b9c0ca; border-radius: 4px; background: #fff; color: var(--fg); }
textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.86rem; width: 100%; min-height: 9rem; }
.pager { display: flex; gap: 0.5rem; align-items: center; margin: 0.6rem 0; }
progress { width: 11rem; height: 0.9rem; vertical-align: middle; accent-color: var(--run); }
.bar { display: flex; gap: 0.5rem; align-items: center; white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.notice { padding: 0.6rem 0.9rem; border-radius: 4px; margin: 0.5rem 0; }
.notice.error { background: var(--bad-bg); color: var(--bad); border: 1px solid #f4c7c3; }
.notice.ok { background: var(--ok-bg); color: var(--ok); border: 1px solid #b7e1c3; }
.fatal { max-width: 44rem; margin: 3rem auto; }
.schedule-grid { display: grid; grid-template-columns: minmax(22rem, 2fr) 3fr; gap: 1.5rem; }
ol.times { margin: 0.2rem 0; padding-left: 1.3rem; }
.log {
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 0.82rem;
  background: #111821;
  color: #dfe6ee;
  border-radius: 6px;
  padding: 0.5rem 0.7rem;
  max-height: 34rem;
  overflow: auto;
}
.log .line { white-space: pre-wrap; word-break: break-word; padding: 0.05rem 0; }
.log .time { color: #8c99a8; }
.log .def { color: #9cc3ff; }
.log .lvl-ERROR { color: #ff8b7e; font-weight: 700; }
.log .lvl-WARN { color: #ffd27a; }
.log .lvl-DEBUG { color: #8c99a8; }
.log a { color: #9cc3ff; }
.log .stack { color: #ffb3aa; display: block; margin-left: 1.5rem; }
.key { word-break: break-all; }
.value-preview { max-width: 40rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; display: block; }
@media (max-width: 800px) { .schedule-grid { grid-template-columns: 1fr; } }
`;
