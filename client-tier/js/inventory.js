// The inventory: tabs for cars, lorries and trucks; add and decommission resources; a timeline per
// resource; book with a form; a 409 highlights the conflicting allocations; an availability search.
import { api, ApiError, newestOnly, toInstant } from './api.js';
import { field, h, showFieldErrors } from './dom.js';
import { timeline } from './timeline.js';

const when = (t) => (t ? new Date(t).toLocaleString() : null);

// The kinds of resource come from the server (GET /resource-kinds), asked once: the tabs follow
// the server's routes instead of a list of their own. A failed request is asked again next time.
let kindsRequest = null;
function resourceKinds() {
  kindsRequest ??= api('GET', '/resource-kinds').then(({ data }) =>
    data.map(({ collection, type }) => ({ collection, type, label: collection[0].toUpperCase() + collection.slice(1) })));
  kindsRequest.catch(() => { kindsRequest = null; });
  return kindsRequest;
}
const startRender = newestOnly();

export async function renderInventory(root, requested) {
  const isNewest = startRender();
  let kinds;
  try {
    kinds = await resourceKinds();
  } catch (error) {
    if (isNewest()) root.replaceChildren(h('h2', {}, 'Inventory'), h('p', { class: 'error', role: 'status' }, `Could not load the kinds of resource: ${error.message}`));
    return;
  }
  // The user may have gone elsewhere while the kinds were on their way.
  if (!isNewest() || !location.pathname.startsWith('/inventory')) return;
  const current = kinds.find((k) => k.collection === requested) ?? kinds[0];
  const kind = current.collection;
  const message = h('p', { class: 'muted', role: 'status' });
  const list = h('div', { class: 'cards' });
  let availability = null;  // the availability search's window, when one is set
  const startLoad = newestOnly();

  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Resource type' }, kinds.map(({ collection: k, label }) =>
    h('button', { role: 'tab', 'aria-selected': k === kind ? 'true' : 'false', onclick: () => {
      history.pushState(null, '', `/inventory/${k}`);
      renderInventory(root, k);
    } }, label)));

  const name = h('input', { required: true, maxlength: 200 });
  const addForm = h('form', { class: 'toolbar', onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/${kind}`, { name: name.value });
      name.value = '';
      showFieldErrors(addForm, null);
      load();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) showFieldErrors(addForm, error.problem); else alert(error.message);
    }
  } }, field('Name', name, 'name'), h('button', { type: 'submit', class: 'primary' }, `Add ${current.type}`));

  const availableFrom = h('input', { type: 'datetime-local' });
  const availableTo = h('input', { type: 'datetime-local' });
  const searchForm = h('form', { class: 'toolbar', 'aria-label': 'Availability', onsubmit: (event) => {
    event.preventDefault();
    availability = { from: toInstant(availableFrom.value), to: toInstant(availableTo.value) };
    load();
  } }, h('label', {}, 'Available from', availableFrom), h('label', {}, 'to', availableTo),
  h('button', { type: 'submit' }, 'Search'),
  h('button', { type: 'button', onclick: () => { availability = null; availableFrom.value = availableTo.value = ''; load(); } }, 'Clear'));

  root.replaceChildren(h('h2', {}, 'Inventory'), tabs, addForm, searchForm, message, list);

  async function load() {
    const isNewest = startLoad();
    message.className = 'muted';
    message.textContent = 'Loading…';
    const params = new URLSearchParams({ sortasc: 'created_at', limit: 1000 });
    if (availability?.from) params.set('available_from', availability.from);
    if (availability?.to) params.set('available_to', availability.to);
    try {
      const { data } = await api('GET', `/${kind}?${params}`);
      if (!isNewest()) return;
      message.textContent = data.length === 0 ? (availability ? 'Nothing is free for the whole of that window.' : `No ${kind} yet: add one.`)
        : availability ? `${data.length} free for the whole window.` : '';
      list.replaceChildren(...data.map((resource) => card(resource)));
    } catch (error) {
      if (!isNewest()) return;
      message.className = 'error';
      message.textContent = `Could not load ${kind}: ${error.message}`;
      list.replaceChildren();
    }
  }

  function card(resource) {
    const path = `/${kind}/${encodeURIComponent(resource.id)}`;
    const picture = h('div', { class: 'picture' });
    const allocationsList = h('ul', { class: 'allocations' });
    const notice = h('p', { role: 'status' });
    let conflicts = new Set();
    const startRefresh = newestOnly();

    const from = h('input', { type: 'datetime-local' });
    const openFrom = h('input', { type: 'checkbox' });
    const to = h('input', { type: 'datetime-local' });
    const openTo = h('input', { type: 'checkbox' });
    openFrom.addEventListener('change', () => { from.disabled = openFrom.checked; });
    openTo.addEventListener('change', () => { to.disabled = openTo.checked; });
    const type = h('input', { required: true, maxlength: 100, value: 'booking' });
    const description = h('input', { maxlength: 1000 });
    const booking = h('form', { class: 'booking', 'aria-label': `Book ${resource.name}`, onsubmit: book },
      field('From', from, 'from'), h('label', { class: 'inline' }, openFrom, 'open start'),
      field('To', to, 'to'), h('label', { class: 'inline' }, openTo, 'open end'),
      field('Type', type, 'allocation_type'), field('Description', description, 'description'),
      h('button', { type: 'submit', class: 'primary' }, 'Book'));

    async function refresh() {
      const isNewest = startRefresh();
      try {
        const { data } = await api('GET', `${path}/allocations`);
        if (!isNewest()) return;
        picture.replaceChildren(timeline(data, conflicts));
        allocationsList.replaceChildren(...data.map((a) => h('li', { class: conflicts.has(a.id) ? 'conflict' : '', 'data-id': a.id },
          h('span', {}, `${when(a.from) ?? 'since forever'} → ${when(a.to) ?? 'until further notice'}`),
          h('span', { class: 'muted' }, a.allocation_type + (a.description ? ` · ${a.description}` : '')),
          h('button', { class: 'danger', 'aria-label': `Delete allocation ${a.allocation_type} from ${a.from ?? 'the start'}`, onclick: async () => {
            try { await api('DELETE', `${path}/allocations/${encodeURIComponent(a.id)}`); } catch (error) { alert(error.message); }
            conflicts = new Set();
            refresh();
          } }, 'Delete'))));
        if (data.length === 0) allocationsList.replaceChildren(h('li', { class: 'muted' }, 'No allocations: free at any time.'));
      } catch (error) {
        if (!isNewest()) return;
        picture.replaceChildren(h('p', { class: 'error' }, `Could not load allocations: ${error.message}`));
      }
    }

    async function book(event) {
      event.preventDefault();
      showFieldErrors(booking, null);
      const body = { from: openFrom.checked ? null : toInstant(from.value), to: openTo.checked ? null : toInstant(to.value),
        allocation_type: type.value, description: description.value || null };
      try {
        await api('POST', `${path}/allocations`, body);
        conflicts = new Set();
        notice.className = 'success';
        notice.textContent = 'Booked.';
      } catch (error) {
        notice.className = 'error';
        if (error.status === 409) {
          conflicts = new Set(error.problem.conflicts.map((c) => c.id));
          notice.textContent = `Conflicts with ${conflicts.size} existing allocation${conflicts.size === 1 ? '' : 's'} (highlighted).`;
        } else if (error.status === 422) {
          const unplaced = showFieldErrors(booking, error.problem);
          notice.textContent = unplaced.join('; ') || 'Please correct the highlighted fields.';
        } else {
          notice.textContent = error.message;
        }
      }
      refresh();
    }

    refresh();
    return h('article', { class: 'card', 'data-id': resource.id },
      h('header', {}, h('h3', {}, resource.name),
        h('span', { class: 'muted' }, `${resource.type} · added ${when(resource.created_at)}`),
        h('button', { class: 'danger', onclick: async () => {
          if (!confirm(`Decommission ${resource.name}? Its allocations go too.`)) return;
          try { await api('DELETE', path); } catch (error) { alert(error.message); }
          load();
        } }, 'Decommission')),
      picture, allocationsList, notice, booking);
  }

  load();
}
