/**
 * The benchmark chart as a self-contained SVG, drawn here without a plotting library: one small
 * panel per table row, a bar per system at its median, a whisker from min to max.
 */

const COLORS = { 'rq-ts': '#c2255c', bullmq: '#1971c2', 'bee-queue': '#e67700', 'rq-py': '#2b8a3e', 'rq-py-fork': '#74b816' };
const PANEL_WIDTH = 480;
const GAP = 20;
const LABEL_WIDTH = 180;
const BAR_AREA = 220;
const BAR_HEIGHT = 14;
const BAR_STEP = 19;
const PANEL_HEAD = 26;
const PANEL_FOOT = 14;
const COLUMNS_PER_LINE = 2;

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * @param {{ rows: Array<{ label: string, unit: string, better: string, cells: Record<string, { median: number, min: number, max: number } | undefined> }>,
 *           columns: Array<{ key: string, title: string }>, title: string, format: (value: number, unit: string) => string }} table
 */
export function renderChart({ rows, columns, title, format }) {
  const drawn = rows.filter((row) => columns.some((column) => row.cells[column.key]));
  const panelHeight = PANEL_HEAD + columns.length * BAR_STEP + PANEL_FOOT;
  const lines = Math.ceil(drawn.length / COLUMNS_PER_LINE);
  const width = COLUMNS_PER_LINE * PANEL_WIDTH + (COLUMNS_PER_LINE + 1) * GAP;
  const legendHeight = 28;
  const top = 44 + legendHeight;
  const height = top + lines * (panelHeight + GAP) + 10;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${GAP}" y="28" font-size="17" font-weight="bold" fill="#212529">${escape(title)}</text>`,
  ];
  columns.forEach((column, index) => {
    const x = GAP + index * 190;
    parts.push(`<rect x="${x}" y="${44}" width="12" height="12" fill="${COLORS[column.key] ?? '#868e96'}"/>`);
    parts.push(`<text x="${x + 17}" y="${54}" fill="#212529">${escape(column.title)}</text>`);
  });
  drawn.forEach((row, index) => {
    const x = GAP + (index % COLUMNS_PER_LINE) * (PANEL_WIDTH + GAP);
    const y = top + Math.floor(index / COLUMNS_PER_LINE) * (panelHeight + GAP);
    parts.push(panel(row, columns, x, y, panelHeight, format));
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panel(row, columns, x, y, height, format) {
  const scaleMax = Math.max(...columns.map((column) => row.cells[column.key]?.max ?? 0)) || 1;
  const direction = row.better === 'higher' ? 'higher is better' : 'lower is better';
  const unit = row.unit ? `, ${row.unit}` : '';
  const parts = [
    `<g>`,
    `<rect x="${x}" y="${y}" width="${PANEL_WIDTH}" height="${height}" fill="#f8f9fa" stroke="#dee2e6"/>`,
    `<text x="${x + 8}" y="${y + 17}" font-weight="bold" fill="#212529">${escape(row.label)}${escape(unit)} <tspan font-weight="normal" fill="#868e96">(${direction})</tspan></text>`,
  ];
  columns.forEach((column, index) => {
    const cell = row.cells[column.key];
    const barY = y + PANEL_HEAD + index * BAR_STEP;
    parts.push(`<text x="${x + 8}" y="${barY + 11}" fill="#495057">${escape(column.title)}</text>`);
    if (!cell) {
      parts.push(`<text x="${x + LABEL_WIDTH}" y="${barY + 11}" fill="#adb5bd">n/a</text>`);
      return;
    }
    const scale = (value) => (value / scaleMax) * BAR_AREA;
    const left = x + LABEL_WIDTH;
    parts.push(`<rect x="${left}" y="${barY}" width="${Math.max(1, scale(cell.median)).toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[column.key] ?? '#868e96'}"/>`);
    if (cell.max > cell.min) {
      const whiskerY = barY + BAR_HEIGHT / 2;
      parts.push(`<line x1="${(left + scale(cell.min)).toFixed(1)}" x2="${(left + scale(cell.max)).toFixed(1)}" y1="${whiskerY}" y2="${whiskerY}" stroke="#212529" stroke-width="1.2"/>`);
      for (const end of [cell.min, cell.max]) {
        parts.push(`<line x1="${(left + scale(end)).toFixed(1)}" x2="${(left + scale(end)).toFixed(1)}" y1="${whiskerY - 4}" y2="${whiskerY + 4}" stroke="#212529" stroke-width="1.2"/>`);
      }
    }
    parts.push(`<text x="${left + scale(cell.max) + 6}" y="${barY + 11}" fill="#212529">${escape(format(cell.median, row.unit))}</text>`);
  });
  parts.push('</g>');
  return parts.join('\n');
}
