// A dependency-free SVG line chart: series over the same x points, a y axis with a few
// ticks, and a text summary for screen readers.
const NS = 'http://www.w3.org/2000/svg';

function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** An SVG with its accessible title and summary, and a y axis of five gridlines up to `max`. */
function frame({ W, H, L, R, y, max, title, summary }) {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': title });
  const desc = el('desc', {});
  desc.textContent = summary;
  svg.append(desc);
  for (let k = 0; k <= 4; k++) {
    const v = Math.round((max * k) / 4);
    svg.append(el('line', { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: '#d0d7de', 'stroke-width': 1 }));
    const t = el('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#57606a' });
    t.textContent = String(v);
    svg.append(t);
  }
  return svg;
}

/**
 * lineChart({ labels: string[], series: [{ name, className, values: number[] }], title })
 */
export function lineChart({ labels, series, title }) {
  const W = 720, H = 220, L = 40, R = 10, T = 10, B = 24;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i) => L + (labels.length <= 1 ? 0 : (i * (W - L - R)) / (labels.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = frame({ W, H, L, R, y, max, title, summary: series.map((s) => `${s.name}: ${s.values.reduce((a, b) => a + b, 0)} in all`).join('; ') });
  const step = Math.max(1, Math.ceil(labels.length / 6));
  labels.forEach((lab, i) => {
    if (i % step !== 0 && i !== labels.length - 1) return;
    const t = el('text', { x: x(i), y: H - 6, 'text-anchor': 'middle', 'font-size': 11, fill: '#57606a' });
    t.textContent = lab;
    svg.append(t);
  });
  for (const s of series) {
    const d = s.values.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    svg.append(el('path', { d, fill: 'none', stroke: 'currentColor', 'stroke-width': 2, class: s.className, 'data-series': s.name }));
  }
  return svg;
}

/**
 * barChart({ labels, series: [{ name, className, values }], title }): stacked bars, one per label.
 */
export function barChart({ labels, series, title }) {
  const W = 720, H = 220, L = 40, R = 10, T = 10, B = 40;
  const totals = labels.map((_, i) => series.reduce((a, s) => a + s.values[i], 0));
  const max = Math.max(1, ...totals);
  const slot = (W - L - R) / Math.max(1, labels.length);
  const y = (v) => T + (H - T - B) * (1 - v / max);
  const svg = frame({ W, H, L, R, y, max, title, summary: labels.map((lab, i) => `${lab}: ${series.map((s) => `${s.values[i]} ${s.name}`).join(', ')}`).join('; ') });
  labels.forEach((lab, i) => {
    let base = 0;
    for (const s of series) {
      const v = s.values[i];
      if (v > 0) svg.append(el('rect', { x: L + i * slot + slot * 0.15, width: slot * 0.7, y: y(base + v), height: y(base) - y(base + v), fill: 'currentColor', class: s.className }));
      base += v;
    }
    const t = el('text', { x: L + i * slot + slot / 2, y: H - 22, 'text-anchor': 'middle', 'font-size': 11, fill: '#57606a' });
    t.textContent = lab.length > 14 ? `${lab.slice(0, 13)}…` : lab;
    svg.append(t);
  });
  return svg;
}
