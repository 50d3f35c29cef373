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
      .then(function (text) { main.innerHTML = text; document.body.setAttribute('data-updated', String(Date.now())); })
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
figure.chart { margin: .4rem 0; background: #fff; border: 1px solid var(--line); padding: .6rem; display: inline-block; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart polyline { fill: none; stroke-width: 1.5; }
figure.chart polyline.finished { stroke: var(--good); }
figure.chart polyline.failed { stroke: var(--bad); }
figure.chart line.axis { stroke: var(--line); }
figcaption { display: flex; gap: 1rem; color: var(--muted); font-size: 12px; margin-top: .3rem; }
.legend.finished { color: var(--good); }
.legend.failed { color: var(--bad); }
`;
