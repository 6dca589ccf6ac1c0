// The inventory: the dispatcher's fleet timeline (fleet.js) over every type, then the resources
// themselves: tabs for cars, lorries and trucks, add and decommission, and an availability search.
import { api, ApiError, newestOnly, toInstant } from './api.js';
import { field, h, showFieldErrors } from './dom.js';
import { renderFleet } from './fleet.js';

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
  const timeline = h('section', { 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Fleet timeline'));
  const message = h('p', { class: 'muted', role: 'status' });
  const list = h('ul', { class: 'resources' });
  let availability = null;  // the availability search's window, when one is set
  const startLoad = newestOnly();

  const tabs = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Resource type' }, kinds.map(({ collection: k, label }) =>
    h('button', { role: 'tab', 'aria-selected': k === kind ? 'true' : 'false', onclick: () => {
      history.pushState(null, '', `/inventory/${k}`);
      renderInventory(root, k);
    } }, label)));

  const name = h('input', { required: true, maxlength: 200 });
  const turnaround = h('input', { type: 'number', min: 0, max: 10080, value: 0 });
  const addForm = h('form', { class: 'toolbar', onsubmit: async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/${kind}`, { name: name.value, turnaround_minutes: Number(turnaround.value || 0) });
      name.value = '';
      showFieldErrors(addForm, null);
      load();
      fleet.reload();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422) showFieldErrors(addForm, error.problem); else alert(error.message);
    }
  } }, field('Name', name, 'name'), field('Turnaround (minutes)', turnaround, 'turnaround_minutes'), h('button', { type: 'submit', class: 'primary' }, `Add ${current.type}`));

  const availableFrom = h('input', { type: 'datetime-local' });
  const availableTo = h('input', { type: 'datetime-local' });
  const searchForm = h('form', { class: 'toolbar', 'aria-label': 'Availability', onsubmit: (event) => {
    event.preventDefault();
    availability = { from: toInstant(availableFrom.value), to: toInstant(availableTo.value) };
    load();
  } }, h('label', {}, 'Available from', availableFrom), h('label', {}, 'to', availableTo),
  h('button', { type: 'submit' }, 'Search'),
  h('button', { type: 'button', onclick: () => { availability = null; availableFrom.value = availableTo.value = ''; load(); } }, 'Clear'));

  const resources = h('section', { 'aria-labelledby': 'resources-title' }, h('h2', { id: 'resources-title' }, 'Resources'), tabs, addForm, searchForm, message, list);
  root.replaceChildren(timeline, resources);
  const fleet = renderFleet(timeline, kinds);

  async function load() {
    const isNewest = startLoad();
    message.className = 'muted';
    message.textContent = 'Loading…';
    const params = new URLSearchParams({ sortasc: 'name', limit: 1000 });
    if (availability?.from) params.set('available_from', availability.from);
    if (availability?.to) params.set('available_to', availability.to);
    try {
      const { data } = await api('GET', `/${kind}?${params}`);
      if (!isNewest()) return;
      message.textContent = data.length === 0 ? (availability ? 'Nothing is free for the whole of that window.' : `No ${kind} yet: add one.`)
        : availability ? `${data.length} free for the whole window.` : '';
      list.replaceChildren(...data.map((resource) => h('li', { 'data-id': resource.id },
        h('span', { class: 'resource-name' }, resource.name),
        h('span', { class: 'muted' }, `${resource.type} · turnaround ${resource.turnaround_minutes} min · added ${when(resource.created_at)}`),
        h('a', { href: `/${kind}/${encodeURIComponent(resource.id)}/allocations.ics`, class: 'muted' }, 'Calendar feed'),
        h('button', { class: 'danger', 'aria-label': `Decommission ${resource.name}`, onclick: async () => {
          if (!confirm(`Decommission ${resource.name}? Its allocations go too.`)) return;
          try { await api('DELETE', `/${kind}/${encodeURIComponent(resource.id)}`); } catch (error) { alert(error.message); }
          load();
          fleet.reload();
        } }, 'Decommission'))));
    } catch (error) {
      if (!isNewest()) return;
      message.className = 'error';
      message.textContent = `Could not load ${kind}: ${error.message}`;
      list.replaceChildren();
    }
  }

  load();
}
