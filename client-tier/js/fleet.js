// The dispatcher's timeline: every resource a row on one shared time axis, grouped by type, read
// from GET /availability for the visible window only (one request per page of 50 resources, never
// one per card). Drag across empty time to book, drag a booking to move it (in time and to another
// row), drag an edge to resize it; the server decides, and a 409 snaps the booking back and flashes
// what is in the way. Every action also has a form, for the keyboard and screen readers. On a
// phone's width it is a day view with time running down the page.
import { api, ApiError, newestOnly, toInstant } from './api.js';
import { field, h, showFieldErrors } from './dom.js';

const HOUR = 3600_000, DAY = 24 * HOUR;
const PRESETS = {
  day: { span: DAY, step: 15 * 60_000, tick: 2 * HOUR, label: new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' }) },
  week: { span: 7 * DAY, step: HOUR, tick: DAY, label: new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric' }) },
  month: { span: 30 * DAY, step: 6 * HOUR, tick: 2 * DAY, label: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' }) },
};
const PAGE = 50;
const phone = () => window.matchMedia('(max-width: 640px)').matches;
const fmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const when = (t) => (t === null ? 'open' : fmt.format(new Date(t)));
const localInput = (t) => (t === null ? '' : new Date(t - new Date(t).getTimezoneOffset() * 60_000).toISOString().slice(0, 16));

export function renderFleet(root, kinds) {
  const state = { preset: phone() ? 'day' : 'week', start: startOfDay(Date.now()), types: new Set(kinds.map((k) => k.type)),
    showCancelled: false, free: null, skip: 0, rows: [], total: 0, flash: new Set() };
  state.start -= phone() ? 0 : DAY;  // the week view opens on yesterday, so "now" is in sight
  const startLoad = newestOnly();
  const message = h('p', { class: 'muted', role: 'status', 'aria-live': 'polite' });
  const notice = h('p', { role: 'status', 'aria-live': 'polite', class: 'notice' });  // what a gesture did
  const grid = h('div', { class: 'fleet', role: 'grid', 'aria-label': 'Fleet timeline', 'aria-readonly': 'true' });
  const label = h('span', { class: 'window-label' });
  const pager = h('div', { class: 'pager' });
  const bookingDialog = bookingForm(kinds, () => load());
  const detailDialog = details(kinds, () => load(), (conflicts) => { state.flash = conflicts; load(); });

  const presetButtons = Object.keys(PRESETS).map((name) => h('button', { type: 'button', 'aria-pressed': String(state.preset === name), 'data-preset': name,
    onclick: () => {
      // Zooming keeps "now" in sight if it was: the day view shows today, the others start yesterday.
      const now = Date.now();
      if (now >= state.start && now < windowEnd()) state.start = startOfDay(now) - (name === 'day' ? 0 : DAY);
      state.preset = name;
      presetButtons.forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.preset === name)));
      load();
    } },
  name[0].toUpperCase() + name.slice(1)));
  const pan = (direction) => { state.start += direction * PRESETS[state.preset].span; load(); };
  const typeBoxes = kinds.map((k) => h('label', { class: 'inline' }, h('input', { type: 'checkbox', checked: true, onchange: (event) => {
    if (event.target.checked) state.types.add(k.type); else state.types.delete(k.type);
    state.skip = 0;
    load();
  } }), k.label));
  const cancelledBox = h('input', { type: 'checkbox', onchange: (event) => { state.showCancelled = event.target.checked; load(); } });
  const freeFrom = h('input', { type: 'datetime-local', name: 'free_from' });
  const freeTo = h('input', { type: 'datetime-local', name: 'free_to' });

  const toolbar = h('div', { class: 'toolbar fleet-toolbar' },
    h('div', { class: 'group', role: 'group', 'aria-label': 'Zoom' }, presetButtons),
    h('div', { class: 'group', role: 'group', 'aria-label': 'Pan' },
      h('button', { type: 'button', 'aria-label': 'Earlier', onclick: () => pan(-1) }, '◀'),
      h('button', { type: 'button', onclick: () => { state.start = startOfDay(Date.now()) - (state.preset === 'day' ? 0 : DAY); load(); } }, 'Today'),
      h('button', { type: 'button', 'aria-label': 'Later', onclick: () => pan(1) }, '▶')),
    label,
    h('div', { class: 'group', role: 'group', 'aria-label': 'Types' }, typeBoxes),
    h('label', { class: 'inline' }, cancelledBox, 'Show cancelled'),
    h('button', { type: 'button', class: 'primary', onclick: () => bookingDialog.open({}) }, 'New booking'));
  const freeForm = h('form', { class: 'toolbar', 'aria-label': 'Free between', onsubmit: async (event) => {
    event.preventDefault();
    state.free = freeFrom.value && freeTo.value ? { from: Date.parse(toInstant(freeFrom.value)), to: Date.parse(toInstant(freeTo.value)), ids: new Set() } : null;
    if (state.free) {
      // Asked of the server for that window (it may lie outside the one in view), for the rows shown.
      const types = kinds.filter((k) => state.types.has(k.type)).map((k) => k.type).join(',');
      const params = new URLSearchParams({ types, from: new Date(state.free.from).toISOString(), to: new Date(state.free.to).toISOString(), skip: state.skip, limit: PAGE });
      try {
        const { data } = await api('GET', `/availability?${params}`);
        state.free.ids = new Set(data.filter((row) => row.busy.length === 0).map((row) => row.resource.id));
        notice.className = 'notice';
        notice.textContent = `${state.free.ids.size} free for the whole window.`;
      } catch (error) {
        notice.className = 'notice error';
        notice.textContent = `Could not check: ${error.message}`;
      }
    }
    paint();
  } }, h('label', {}, 'Free between', freeFrom), h('label', {}, 'and', freeTo), h('button', { type: 'submit' }, 'Highlight free'),
  h('button', { type: 'button', onclick: () => { state.free = null; freeFrom.value = freeTo.value = ''; paint(); } }, 'Clear'),
  ...kinds.map((k) => h('button', { type: 'button', 'data-any': k.type, onclick: () => bookingDialog.open({ anyOf: k, from: state.free?.from, to: state.free?.to }) }, `Book any free ${k.type}`)));

  root.append(toolbar, freeForm, notice, message, grid, pager, bookingDialog.element, detailDialog.element);

  const windowEnd = () => state.start + PRESETS[state.preset].span;

  async function load() {
    const isNewest = startLoad();
    const from = new Date(state.start).toISOString(), to = new Date(windowEnd()).toISOString();
    label.textContent = `${fmt.format(new Date(state.start))} – ${fmt.format(new Date(windowEnd()))}`;
    const types = kinds.filter((k) => state.types.has(k.type)).map((k) => k.type);
    if (types.length === 0) { state.rows = []; state.total = 0; paint(); return; }
    const params = new URLSearchParams({ types: types.join(','), from, to, skip: state.skip, limit: PAGE });
    if (state.showCancelled) params.set('status', 'confirmed,tentative,cancelled');
    message.className = 'muted';
    message.textContent = 'Loading…';
    try {
      const { data, total } = await api('GET', `/availability?${params}`);
      if (!isNewest()) return;
      state.rows = data;
      state.total = total ?? data.length;
      message.textContent = data.length === 0 ? 'No resources of these types yet.' : '';
      paint();
    } catch (error) {
      if (!isNewest()) return;
      message.className = 'error';
      message.textContent = `Could not load the timeline: ${error.message}`;
    }
  }

  // The grid: a header of ticks, then per type a group row and a row per resource.
  function paint() {
    const vertical = phone();
    grid.classList.toggle('vertical', vertical);
    const span = windowEnd() - state.start;
    const at = (t) => `${((t - state.start) / span) * 100}%`;
    const ticks = h('div', { class: 'ticks', 'aria-hidden': 'true' });
    const tick = PRESETS[state.preset].tick;
    for (let t = Math.ceil(state.start / tick) * tick; t < windowEnd(); t += tick) {
      ticks.append(h('span', { class: 'tick', style: `${vertical ? 'top' : 'left'}: ${at(t)}` }, PRESETS[state.preset].label.format(new Date(t))));
    }
    const now = Date.now();
    const rows = [h('div', { class: 'row head', role: 'row' }, h('div', { class: 'name', role: 'columnheader' }, 'Resource'), h('div', { class: 'lane', role: 'columnheader' }, ticks))];
    let group = null;
    for (const row of state.rows) {
      const { resource, busy } = row;
      if (resource.type !== group) {
        group = resource.type;
        const kind = kinds.find((k) => k.type === group);
        rows.push(h('div', { class: 'row group', role: 'row' }, h('div', { class: 'name', role: 'rowheader' }, kind?.label ?? group)));
      }
      const free = state.free?.ids.has(resource.id);
      const lane = h('div', { class: 'lane', role: 'gridcell', 'data-resource': resource.id, 'data-type': resource.type, 'aria-label': `${resource.name}: ${busy.length} booking${busy.length === 1 ? '' : 's'} in view` });
      if (now >= state.start && now < windowEnd()) lane.append(h('div', { class: 'now', style: `${vertical ? 'top' : 'left'}: ${at(now)}`, 'aria-hidden': 'true' }));
      if (state.free) lane.append(h('div', { class: 'free-window', style: place(state.free.from, state.free.to, vertical, at), 'aria-hidden': 'true' }));
      for (const b of busy) lane.append(bar(resource, b, vertical, at));
      rows.push(h('div', { class: `row${free ? ' free' : ''}`, role: 'row', 'data-resource': resource.id },
        h('div', { class: 'name', role: 'rowheader' }, resource.name, free ? h('span', { class: 'badge' }, 'free') : null), lane));
    }
    grid.replaceChildren(...rows);
    state.flash = new Set();
    pager.replaceChildren();
    if (state.total > PAGE) {
      pager.append(h('button', { type: 'button', disabled: state.skip === 0, onclick: () => { state.skip = Math.max(0, state.skip - PAGE); load(); } }, 'Previous'),
        h('span', { class: 'muted' }, `${state.skip + 1}–${Math.min(state.skip + PAGE, state.total)} of ${state.total} resources`),
        h('button', { type: 'button', disabled: state.skip + PAGE >= state.total, onclick: () => { state.skip += PAGE; load(); } }, 'Next'));
    }
    enableDrawing(grid, vertical);
  }

  function bar(resource, b, vertical, at) {
    const from = b.from === null ? state.start : Math.max(Date.parse(b.from), state.start);
    const to = b.to === null ? windowEnd() : Math.min(Date.parse(b.to), windowEnd());
    const classes = ['booking', b.status, b.allocation_type === 'maintenance' ? 'maintenance' : '', state.flash.has(b.allocation_id) ? 'flash' : ''].filter(Boolean).join(' ');
    const text = `${b.allocation_type} ${when(b.from === null ? null : Date.parse(b.from))} → ${when(b.to === null ? null : Date.parse(b.to))}${b.status === 'tentative' ? ' (hold)' : b.status === 'cancelled' ? ' (cancelled)' : ''}`;
    const element = h('div', { class: classes, role: 'button', tabindex: '0', style: place(from, to, vertical, at), 'data-id': b.allocation_id, 'data-status': b.status,
      'aria-label': `${resource.name}: ${text}`, title: text,
      onkeydown: (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); detailDialog.open(resource, b); } } },
    h('span', { class: 'edge start', 'data-edge': 'from', 'aria-hidden': 'true' }), h('span', { class: 'label' }, b.allocation_type), h('span', { class: 'edge end', 'data-edge': 'to', 'aria-hidden': 'true' }));
    element.addEventListener('pointerdown', (event) => startDrag(event, element, resource, b));
    return element;
  }

  // Pointer gestures. Positions become times by the lane's box; times snap to the preset's step.
  function timeAt(lane, event, vertical) {
    const box = lane.getBoundingClientRect();
    const fraction = vertical ? (event.clientY - box.top) / box.height : (event.clientX - box.left) / box.width;
    const step = PRESETS[state.preset].step;
    return Math.round((state.start + Math.min(1, Math.max(0, fraction)) * (windowEnd() - state.start)) / step) * step;
  }
  const laneAt = (event) => document.elementsFromPoint(event.clientX, event.clientY).map((e) => e.closest('.lane[data-resource]')).find(Boolean);

  function enableDrawing(container, vertical) {
    container.querySelectorAll('.lane[data-resource]').forEach((lane) => lane.addEventListener('pointerdown', (event) => {
      if (event.target.closest('.booking') || event.button !== 0) return;
      event.preventDefault();
      const t0 = timeAt(lane, event, vertical);
      const ghost = h('div', { class: 'ghost', 'aria-hidden': 'true' });
      const live = h('div', { class: 'live-time', role: 'status' });
      lane.append(ghost, live);
      let t1 = t0;
      const span = windowEnd() - state.start;
      const at = (t) => `${((t - state.start) / span) * 100}%`;
      const move = (e) => {
        t1 = timeAt(lane, e, vertical);
        ghost.setAttribute('style', place(Math.min(t0, t1), Math.max(t0, t1), vertical, at));
        live.textContent = `${when(Math.min(t0, t1))} → ${when(Math.max(t0, t1))}`;
      };
      const up = () => {
        window.removeEventListener('pointermove', move);
        ghost.remove();
        live.remove();
        const from = Math.min(t0, t1), to = Math.max(t0, t1);
        if (to > from) bookingDialog.open({ resource: state.rows.find((r) => r.resource.id === lane.dataset.resource)?.resource, from, to });
      };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up, { once: true });
    }));
  }

  function startDrag(event, element, resource, b) {
    if (event.button !== 0 || b.status === 'cancelled') return;
    event.preventDefault();
    event.stopPropagation();
    const vertical = phone();
    const lane = element.parentElement;
    const edge = event.target.dataset?.edge;  // 'from' or 'to' resizes; the body moves
    const origin = timeAt(lane, event, vertical);
    const from0 = b.from === null ? null : Date.parse(b.from), to0 = b.to === null ? null : Date.parse(b.to);
    let from = from0, to = to0, target = lane, moved = false;
    const live = h('div', { class: 'live-time', role: 'status' });
    document.body.append(live);
    const span = windowEnd() - state.start;
    const at = (t) => `${((t - state.start) / span) * 100}%`;
    const move = (e) => {
      const here = laneAt(e) ?? target;
      const delta = timeAt(lane, e, vertical) - origin;
      if (delta !== 0 || here !== lane) moved = true;
      if (edge === 'from' && from0 !== null) from = Math.min(from0 + delta, to - PRESETS[state.preset].step);
      else if (edge === 'to' && to0 !== null) to = Math.max(to0 + delta, from + PRESETS[state.preset].step);
      else if (!edge) {
        from = from0 === null ? null : from0 + delta;
        to = to0 === null ? null : to0 + delta;
        if (here !== target) { here.append(element); target = here; }
      }
      element.setAttribute('style', place(from ?? state.start, to ?? windowEnd(), vertical, at));
      element.classList.add('dragging');
      live.textContent = `${when(from)} → ${when(to)}`;
      live.style.left = `${e.clientX + 12}px`;
      live.style.top = `${e.clientY + 12}px`;
    };
    const up = async () => {
      window.removeEventListener('pointermove', move);
      live.remove();
      element.classList.remove('dragging');
      if (!moved) { detailDialog.open(resource, b); return; }
      const body = {};
      if (from !== from0) body.from = new Date(from).toISOString();
      if (to !== to0) body.to = new Date(to).toISOString();
      if (target.dataset.resource !== resource.id) { body.resource_id = target.dataset.resource; body.resource_type = target.dataset.type; }
      try {
        await api('PATCH', `/${collectionOf(kinds, resource.type)}/${encodeURIComponent(resource.id)}/allocations/${encodeURIComponent(b.allocation_id)}`, body);
        notice.className = 'notice success';
        notice.textContent = 'Moved.';
      } catch (error) {
        notice.className = 'notice error';
        notice.textContent = `Not moved: ${error.message}`;
        state.flash = new Set([b.allocation_id, ...(error.problem?.conflicts ?? []).map((c) => c.id)]);
      }
      load();  // the server decides: on a refusal this snaps the booking back
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up, { once: true });
  }

  load();
  return { reload: load };
}

const startOfDay = (t) => Math.floor(t / DAY) * DAY;
const collectionOf = (kinds, type) => kinds.find((k) => k.type === type)?.collection ?? type;

function place(from, to, vertical, at) {
  const start = at(from), size = `calc(${at(to)} - ${at(from)})`;
  return vertical ? `top: ${start}; height: ${size}` : `left: ${start}; width: ${size}`;
}

// The booking form: a drag prefills it; the "New booking" and "Book any free …" buttons open it
// empty. It is also the keyboard and screen-reader path to book.
function bookingForm(kinds, done) {
  const resourceSelect = h('select', { required: true });
  const from = h('input', { type: 'datetime-local', required: true });
  const to = h('input', { type: 'datetime-local', required: true });
  const type = h('input', { required: true, maxlength: 100, value: 'hire' });
  const description = h('input', { maxlength: 1000 });
  const hold = h('input', { type: 'checkbox' });
  const notice = h('p', { role: 'status' });
  const heading = h('h2', { id: 'booking-dialog-title' }, 'New booking');
  let anyOf = null;
  const form = h('form', { method: 'dialog', class: 'stack', onsubmit: submit }, heading,
    field('Resource', resourceSelect, 'resource'), field('From', from, 'from'), field('To', to, 'to'),
    field('Type', type, 'allocation_type'), field('Description', description, 'description'),
    h('label', { class: 'inline' }, hold, 'Hold it for now (tentative; it expires unless confirmed)'), notice,
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => element.close() }, 'Cancel'), h('button', { type: 'submit', class: 'primary' }, 'Book')));
  const element = h('dialog', { 'aria-labelledby': 'booking-dialog-title', class: 'booking-dialog' }, form);

  async function open({ resource, from: f, to: t, anyOf: kind }) {
    anyOf = kind ?? null;
    showFieldErrors(form, null);
    notice.textContent = '';
    heading.textContent = anyOf ? `Book any free ${anyOf.type}` : 'New booking';
    resourceSelect.closest('label').hidden = Boolean(anyOf);
    resourceSelect.required = !anyOf;
    const options = [];
    for (const k of kinds) {
      try {
        const { data } = await api('GET', `/${k.collection}?sortasc=name&limit=1000`);
        for (const r of data) options.push(h('option', { value: `${k.collection}/${r.id}`, selected: resource?.id === r.id }, `${r.name} (${k.type})`));
      } catch { /* the list shows what loaded */ }
    }
    resourceSelect.replaceChildren(...options);
    from.value = f ? localInput(f) : '';
    to.value = t ? localInput(t) : '';
    element.showModal();
    (f ? type : from).focus();
  }

  async function submit(event) {
    event.preventDefault();
    showFieldErrors(form, null);
    const body = { from: toInstant(from.value), to: toInstant(to.value), allocation_type: type.value, description: description.value || null };
    if (hold.checked) body.status = 'tentative';
    const path = anyOf ? `/${anyOf.collection}/allocations` : `/${resourceSelect.value}/allocations`;
    try {
      await api('POST', path, body);
      element.close();
      done();
    } catch (error) {
      notice.className = 'error';
      if (error instanceof ApiError && error.status === 422) notice.textContent = showFieldErrors(form, error.problem).join('; ') || 'Please correct the highlighted fields.';
      else if (error.status === 409 && error.problem?.earliest_available) {
        const e = error.problem.earliest_available;
        notice.textContent = `None is free then. The earliest: ${when(Date.parse(e.from))} on ${e.resource.name}.`;
      } else notice.textContent = error.message;
    }
  }
  return { element, open };
}

// A booking's details: confirm a hold, change its times or resource (the keyboard path for move
// and resize), cancel it, or delete it.
function details(kinds, done, flash) {
  const heading = h('h2', { id: 'detail-dialog-title' }, 'Booking');
  const summary = h('p', {});
  const from = h('input', { type: 'datetime-local' });
  const to = h('input', { type: 'datetime-local' });
  const resourceSelect = h('select', {});
  const notice = h('p', { role: 'status' });
  const confirmButton = h('button', { type: 'button', class: 'primary', onclick: () => change({ status: 'confirmed' }) }, 'Confirm hold');
  const form = h('form', { method: 'dialog', class: 'stack', onsubmit: (event) => {
    event.preventDefault();
    const body = {};
    if (from.value && toInstant(from.value) !== current.b.from) body.from = toInstant(from.value);
    if (to.value && toInstant(to.value) !== current.b.to) body.to = toInstant(to.value);
    const [collection, id] = resourceSelect.value.split('/');
    if (id && id !== current.resource.id) { body.resource_id = id; body.resource_type = kinds.find((k) => k.collection === collection)?.type; }
    change(body);
  } }, heading, summary, confirmButton, field('From', from, 'from'), field('To', to, 'to'), field('Resource', resourceSelect, 'resource_id'), notice,
  h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'danger', onclick: () => change({ status: 'cancelled' }) }, 'Cancel booking'),
    h('button', { type: 'button', class: 'danger', onclick: remove }, 'Delete'),
    h('button', { type: 'button', onclick: () => element.close() }, 'Close'),
    h('button', { type: 'submit' }, 'Save changes')));
  const element = h('dialog', { 'aria-labelledby': 'detail-dialog-title' }, form);
  let current = null;
  const path = () => `/${collectionOf(kinds, current.resource.type)}/${encodeURIComponent(current.resource.id)}/allocations/${encodeURIComponent(current.b.allocation_id)}`;

  async function open(resource, b) {
    current = { resource, b };
    showFieldErrors(form, null);
    notice.textContent = '';
    heading.textContent = `${b.allocation_type} on ${resource.name}`;
    summary.textContent = `${b.status === 'tentative' ? 'Hold' : b.status[0].toUpperCase() + b.status.slice(1)}: ${when(b.from === null ? null : Date.parse(b.from))} → ${when(b.to === null ? null : Date.parse(b.to))}`;
    confirmButton.hidden = b.status !== 'tentative';
    from.value = b.from ? localInput(Date.parse(b.from)) : '';
    to.value = b.to ? localInput(Date.parse(b.to)) : '';
    const options = [];
    for (const k of kinds) {
      try {
        const { data } = await api('GET', `/${k.collection}?sortasc=name&limit=1000`);
        for (const r of data) options.push(h('option', { value: `${k.collection}/${r.id}`, selected: r.id === resource.id }, `${r.name} (${k.type})`));
      } catch { /* the list shows what loaded */ }
    }
    resourceSelect.replaceChildren(...options);
    try {
      const { data } = await api('GET', path());
      if (data.expires_at) summary.textContent += ` · expires ${when(Date.parse(data.expires_at))}`;
      if (data.description) summary.textContent += ` · ${data.description}`;
    } catch { /* the summary from the timeline stands */ }
    element.showModal();
  }

  async function change(body) {
    if (Object.keys(body).length === 0) { element.close(); return; }
    try {
      await api('PATCH', path(), body);
      element.close();
      done();
    } catch (error) {
      notice.className = 'error';
      if (error.status === 422) notice.textContent = showFieldErrors(form, error.problem).join('; ') || 'Please correct the highlighted fields.';
      else notice.textContent = error.message;
      if (error.status === 409 && error.problem?.conflicts) flash(new Set(error.problem.conflicts.map((c) => c.id)));
    }
  }

  async function remove() {
    try {
      await api('DELETE', path());
      element.close();
      done();
    } catch (error) {
      notice.className = 'error';
      notice.textContent = error.message;
    }
  }
  return { element, open };
}
