// A resource's allocations as bars on a time axis. Open ends run to the edge of the picture and end
// in an arrow, so "since forever" and "until further notice" read as open, not as dates.
import { h } from './dom.js';

const WIDTH = 1000, TOP = 8, BAR = 22, AXIS = 44;

export function timeline(allocations, conflictIDs = new Set()) {
  const times = allocations.flatMap((a) => [a.from, a.to]).filter(Boolean).map((t) => Date.parse(t));
  const now = Date.now();
  times.push(now);
  let start = Math.min(...times), end = Math.max(...times);
  const pad = Math.max((end - start) * 0.08, 3600_000);
  start -= pad; end += pad;
  const x = (t) => ((t - start) / (end - start)) * WIDTH;
  const svg = h('svg', { class: 'timeline', viewBox: `0 0 ${WIDTH} 74`, preserveAspectRatio: 'none', role: 'img',
    'aria-label': `Timeline of ${allocations.length} allocation${allocations.length === 1 ? '' : 's'}` });
  svg.append(h('line', { class: 'axis', x1: 0, x2: WIDTH, y1: AXIS, y2: AXIS }));
  for (let i = 0; i <= 4; i++) {
    const t = start + ((end - start) * i) / 4;
    const label = new Date(t).toISOString().slice(0, 16).replace('T', ' ');
    svg.append(h('text', { x: Math.min(x(t), WIDTH - 4), y: AXIS + 16, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' }, label));
  }
  svg.append(h('line', { class: 'now', x1: x(now), x2: x(now), y1: 2, y2: AXIS }));
  for (const a of allocations) {
    const left = a.from ? x(Date.parse(a.from)) : 0;
    const right = a.to ? x(Date.parse(a.to)) : WIDTH;
    const classes = ['bar', conflictIDs.has(a.id) ? 'conflict' : '', a.from ? '' : 'open-start', a.to ? '' : 'open-end'].filter(Boolean).join(' ');
    const bar = h('rect', { class: classes, x: left, y: TOP, width: Math.max(right - left, 2), height: BAR, rx: 3, 'data-id': a.id },
      h('title', {}, `${a.allocation_type}: ${a.from ?? 'since forever'} → ${a.to ?? 'until further notice'}`));
    svg.append(bar);
    if (!a.from) svg.append(h('polygon', { class: classes, points: `0,${TOP + BAR / 2} 10,${TOP} 10,${TOP + BAR}` }));
    if (!a.to) svg.append(h('polygon', { class: classes, points: `${WIDTH},${TOP + BAR / 2} ${WIDTH - 10},${TOP} ${WIDTH - 10},${TOP + BAR}` }));
  }
  return svg;
}
