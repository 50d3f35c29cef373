/**
 * Line charts drawn on the server as SVG (no script, no library): one value a minute per series, a
 * time axis with round local HH:MM ticks and the span written under it, a value axis from 0 with
 * round ticks and its unit, grid lines, a line per series (broken where a series has no value, a
 * dot for a lone minute), a legend, a <title> and <desc> for screen readers, and the numbers
 * themselves in a table under the chart. A chart whose series hold nothing says so instead of
 * drawing an empty frame. What the series are is the caller's (throughput-charts.ts).
 */
import { clock, spanLabel, tickText, timeStep, timeTicks, valueTicks, zoneLabel } from './chart-axes.js';
import { html, type Markup } from './html.js';

/** One line of a chart. */
export interface Series {
  /** What the legend and the table call it. */
  readonly label: string;
  /** Its CSS class, which gives its colour and dash: finished, failed, p50, p95. */
  readonly kind: string;
  /** One value a minute, in the axis' unit; null where there is none. */
  readonly values: readonly (number | null)[];
  /** What the legend says after the label: a total, a peak. */
  readonly note: string;
}

/** What {@link lineChart} draws. */
export interface LineChartSpec {
  /** Unique on the page: the ids of the chart's title, description and table derive from it. */
  readonly id: string;
  readonly title: string;
  /** The chart in words, for screen readers: the span, totals, peaks. */
  readonly description: string;
  /** The value axis' unit: "jobs/min", "ms", "s". */
  readonly unit: string;
  /** Whether the values are counts (whole-number ticks). */
  readonly integers: boolean;
  /** The minutes, oldest first, one per value of each series. */
  readonly minutes: readonly Date[];
  readonly series: readonly Series[];
  /** How a series' values of one interval read in the table of numbers: a sum, a range. */
  readonly summarize: (values: readonly (number | null)[]) => string;
  /** What the table's cells are, said above it. */
  readonly numbersCaption: string;
  /** Said instead of the chart when no series has a value above 0. */
  readonly empty: string;
  /** Where the data comes from, said after the legend. */
  readonly source: string;
}

const WIDTH = 720;
const HEIGHT = 230;
/** The plot area inside the SVG, in its pixels: room left for the value labels, below for the time labels and the span. */
const PLOT = { left: 56, right: 696, top: 26, bottom: 180 } as const;

/** Where values go on the SVG. */
interface Scale {
  readonly x: (index: number) => number;
  readonly y: (value: number) => number;
  readonly ticks: readonly number[];
}

/** Coordinates as the SVG writes them: one decimal. */
function at(value: number): string {
  return value.toFixed(1);
}

function scaleOf(spec: LineChartSpec): Scale {
  const values = spec.series.flatMap((series) => series.values.filter((value): value is number => value !== null));
  const ticks = valueTicks(Math.max(0, ...values), spec.integers);
  const top = ticks.at(-1)!;
  const last = Math.max(1, spec.minutes.length - 1);
  return {
    x: (index) => PLOT.left + (index / last) * (PLOT.right - PLOT.left),
    y: (value) => PLOT.bottom - (value / top) * (PLOT.bottom - PLOT.top),
    ticks,
  };
}

/** Whether any series has a value above 0. */
function hasData(spec: LineChartSpec): boolean {
  return spec.series.some((series) => series.values.some((value) => value !== null && value > 0));
}

/** The chart, its legend and its numbers; or a sentence saying there is nothing to draw. */
export function lineChart(spec: LineChartSpec): Markup {
  if (!hasData(spec)) {
    return html`<figure class="chart" id="chart-${spec.id}" data-chart="${spec.id}"><p class="no-data">${spec.empty}</p></figure>`;
  }
  const scale = scaleOf(spec);
  return html`<figure class="chart" id="chart-${spec.id}" data-chart="${spec.id}">
    <svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="chart-${spec.id}-title chart-${spec.id}-desc">
      <title id="chart-${spec.id}-title">${spec.title}</title>
      <desc id="chart-${spec.id}-desc">${spec.description}</desc>
      ${valueAxis(spec.unit, scale)}
      ${timeAxis(spec.minutes, scale)}
      ${spec.series.map((series) => seriesLine(series, scale))}
    </svg>
    <figcaption>
      ${spec.series.map((series) => html`<span class="legend ${series.kind}">${series.label}${series.note ? `: ${series.note}` : ''}</span>`)}
      <span>${spec.source}</span>
    </figcaption>
    ${numbersTable(spec)}
  </figure>`;
}

/** The value axis: grid lines at the ticks, their labels, and the unit above them. */
function valueAxis(unit: string, { y, ticks }: Scale): Markup {
  return html`<g class="value-axis">
        <text class="unit" x="${PLOT.left - 8}" y="${PLOT.top - 12}" text-anchor="end">${unit}</text>
        ${ticks.map((tick) => html`<line class="grid" x1="${PLOT.left}" y1="${at(y(tick))}" x2="${PLOT.right}" y2="${at(y(tick))}"></line>
        <text class="tick value" x="${PLOT.left - 8}" y="${at(y(tick) + 4)}" text-anchor="end">${tickText(tick)}</text>`)}
        <line class="axis" x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${PLOT.bottom}"></line>
      </g>`;
}

/** The time axis: the baseline, a tick and a local HH:MM at each round time, and the span with the time zone under them. */
function timeAxis(minutes: readonly Date[], { x }: Scale): Markup {
  const indexes = timeTicks(minutes, timeStep(minutes.length));
  const zone = minutes[0] ? zoneLabel(minutes[0]) : 'UTC';
  return html`<g class="time-axis">
        <line class="axis" x1="${PLOT.left}" y1="${PLOT.bottom}" x2="${PLOT.right}" y2="${PLOT.bottom}"></line>
        ${indexes.map((index) => html`<line class="tick" x1="${at(x(index))}" y1="${PLOT.bottom}" x2="${at(x(index))}" y2="${PLOT.bottom + 5}"></line>
        <text class="tick time" x="${at(x(index))}" y="${PLOT.bottom + 18}" text-anchor="middle">${clock(minutes[index]!)}</text>`)}
        <text class="span" x="${(PLOT.left + PLOT.right) / 2}" y="${HEIGHT - 8}" text-anchor="middle">${spanLabel(minutes.length)}, ${zone}</text>
      </g>`;
}

/** A series as one path, broken where it has no value, with a dot for each minute that stands alone. */
function seriesLine(series: Series, { x, y }: Scale): Markup {
  const { values } = series;
  let path = '';
  const dots: number[] = [];
  values.forEach((value, index) => {
    if (value === null) return;
    const joined = index > 0 && values[index - 1] !== null;
    path += `${joined ? 'L' : 'M'}${at(x(index))},${at(y(value))} `;
    if (!joined && (values[index + 1] ?? null) === null) dots.push(index);
  });
  return html`<path class="series ${series.kind}" d="${path.trim()}"></path>
      ${dots.map((index) => html`<circle class="series-dot ${series.kind}" cx="${at(x(index))}" cy="${at(y(values[index]!))}" r="2.5"></circle>`)}`;
}

/** The minutes cut where the time axis has its ticks: [start, end) index ranges. */
function intervals(minutes: readonly Date[]): Array<[number, number]> {
  const starts = [...new Set([0, ...timeTicks(minutes, timeStep(minutes.length))])];
  return starts.map((start, index) => [start, starts[index + 1] ?? minutes.length] as [number, number]);
}

/** The numbers behind the chart, an interval of the time axis a row, in a table that opens without hovering. */
function numbersTable(spec: LineChartSpec): Markup {
  const rows = intervals(spec.minutes).map(([start, end]) => html`<tr>
        <th scope="row">${clock(spec.minutes[start]!)}–${clock(spec.minutes[end - 1]!)}</th>
        ${spec.series.map((series) => html`<td class="count">${spec.summarize(series.values.slice(start, end))}</td>`)}
      </tr>`);
  return html`<details class="numbers" id="numbers-${spec.id}">
      <summary>Numbers</summary>
      <table>
        <caption>${spec.numbersCaption}</caption>
        <thead><tr><th scope="col">Time</th>${spec.series.map((series) => html`<th scope="col">${series.label}</th>`)}</tr></thead>
        <tbody>${rows}</tbody>
      </table>
    </details>`;
}
