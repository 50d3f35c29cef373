/**
 * The dashboard's stylesheet and script, served as files (the Content-Security-Policy forbids
 * inline ones). The script asks before an action, switches instances, and refreshes the page's
 * main part every few seconds: it fetches the same page with `partial=1` (rendered and escaped by
 * the server, an error message included: Redis unreachable) while the tab is visible and nobody
 * is typing in a form.
 */

export const CLIENT_JS = `'use strict';
(function () {
  document.addEventListener('submit', function (event) {
    var form = event.target;
    var question = form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });
  document.addEventListener('change', function (event) {
    if (event.target.hasAttribute('data-autosubmit')) event.target.form.submit();
  });
  var seconds = Number(document.body.getAttribute('data-refresh')) || 0;
  var main = document.getElementById('main');
  if (!seconds || !main) return;
  setInterval(function () {
    if (document.visibilityState !== 'visible') return;
    var active = document.activeElement;
    if (active && main.contains(active) && (active.tagName === 'INPUT' || active.tagName === 'SELECT')) return;
    var url = new URL(window.location.href);
    url.searchParams.set('partial', '1');
    fetch(url, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.text(); })
      .then(function (text) {
        // A table of numbers the user opened stays open across the refresh.
        var open = Array.prototype.map.call(main.querySelectorAll('details[open][id]'), function (details) { return details.id; });
        main.innerHTML = text;
        open.forEach(function (id) { var details = document.getElementById(id); if (details && main.contains(details)) details.open = true; });
        document.body.setAttribute('data-updated', String(Date.now()));
      })
      .catch(function () {
        // The dashboard itself cannot be reached: say so above what the page last showed.
        if (!document.getElementById('offline')) main.insertAdjacentHTML('afterbegin', '<p id="offline" class="error">The dashboard cannot be reached: what follows may be out of date.</p>');
      });
  }, seconds * 1000);
})();
`;

export const CLIENT_CSS = `
:root { --fg: #1d2330; --muted: #5d6677; --line: #e3e6ec; --accent: #2f5fd0; --bad: #c0392b; --good: #1e8449; --warn: #b9770e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #f7f8fa; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #fff; border-bottom: 1px solid var(--line); }
header nav a { margin-right: 1rem; }
.brand { font-weight: 700; font-size: 1.1rem; }
.instance, .badge { margin-left: auto; color: var(--muted); }
.badge { border: 1px solid var(--line); border-radius: 4px; padding: 0 .4rem; margin-left: 0; }
h1 { font-size: 1.3rem; margin: 1rem 1.2rem .5rem; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
main { padding: 0 1.2rem 2rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.count { text-align: right; font-variant-numeric: tabular-nums; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: 12px; }
.status, .state { border-radius: 3px; padding: 0 .35rem; background: var(--line); }
.status.failed, .status.stopped, .state.busy { background: #f9e0dd; color: var(--bad); }
.status.finished, .state.idle { background: #dff3e6; color: var(--good); }
.status.started, .status.scheduled, .status.deferred, .state.suspended { background: #fcefd9; color: var(--warn); }
form.action { display: inline; }
main > form.action, main > div.actions { display: inline-block; margin: 0 0 .6rem; }
table.fields th { width: 12rem; }
form.action button { font-size: 12px; margin-right: .3rem; }
.banner { background: #fcefd9; border: 1px solid #f0d8a8; padding: .5rem .8rem; }
.error { color: var(--bad); }
nav.lists a { margin-right: .8rem; }
nav.lists a.current { font-weight: 700; color: var(--fg); }
form.filter { margin: .6rem 0; display: flex; gap: .8rem; align-items: end; }
.summary { color: var(--muted); }
nav.pager { margin-top: .6rem; display: flex; gap: 1rem; }
figure.chart { margin: .4rem 0; background: #fff; border: 1px solid var(--line); padding: .6rem; display: inline-block; max-width: 100%; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart path.series { fill: none; stroke-width: 1.5; stroke-linejoin: round; }
figure.chart .finished { stroke: var(--good); fill: var(--good); }
figure.chart .failed { stroke: var(--bad); fill: var(--bad); }
figure.chart .p50 { stroke: var(--accent); fill: var(--accent); }
figure.chart .p95 { stroke: var(--warn); fill: var(--warn); }
figure.chart path.p95 { stroke-dasharray: 5 3; }
figure.chart line.axis, figure.chart line.tick { stroke: #b8bfcc; }
figure.chart line.grid { stroke: #eef0f4; }
figure.chart text { font-size: 11px; fill: var(--muted); font-variant-numeric: tabular-nums; }
figure.chart text.unit, figure.chart text.span { fill: var(--fg); }
figure.chart p.no-data { margin: .4rem .2rem; }
p.no-data { color: var(--muted); }
figcaption { display: flex; flex-wrap: wrap; gap: 1rem; color: var(--muted); font-size: 12px; margin-top: .3rem; }
figure.chart figcaption, figure.chart details { max-width: 720px; }
.legend::before { content: ""; display: inline-block; width: 14px; height: 0; border-top: 2px solid currentColor; vertical-align: middle; margin-right: .3rem; }
.legend.p95::before { border-top-style: dashed; }
.legend.finished { color: var(--good); }
.legend.failed { color: var(--bad); }
.legend.p50 { color: var(--accent); }
.legend.p95 { color: var(--warn); }
details.numbers { margin-top: .3rem; font-size: 12px; }
details.numbers summary { cursor: pointer; color: var(--accent); }
details.numbers table { width: auto; margin-top: .3rem; }
details.numbers caption { white-space: nowrap; }
caption { caption-side: top; text-align: left; color: var(--muted); font-size: 12px; padding: .2rem 0; }
nav.spans { margin: .4rem 0; color: var(--muted); }
nav.spans a { margin-left: .5rem; }
nav.spans a.current { font-weight: 700; color: var(--fg); }
table.functions td.count { white-space: nowrap; }
`;
