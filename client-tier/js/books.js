// Books: the original Vue app's list, done better. Sorted by author, 8 a page, with paging, column
// sorting, search, a read filter, an add/edit form that shows the API's 422 errors at the fields,
// delete with confirmation, and read and score editable in place.
import { api, ApiError, newestOnly } from './api.js';
import { field, h, showFieldErrors } from './dom.js';

const PAGE = 8;
const state = { skip: 0, sort: 'author', ascending: true, q: '', read: '' };
const columns = [['title', 'Title'], ['author', 'Author'], ['year', 'Year'], ['score', 'Score'], ['read', 'Read']];

export function renderBooks(root) {
  const search = h('input', { type: 'search', value: state.q, placeholder: 'Title or author' });
  let timer;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { state.q = search.value.trim(); state.skip = 0; load(); }, 250);
  });
  const readFilter = h('select', { onchange: () => { state.read = readFilter.value; state.skip = 0; load(); } },
    h('option', { value: '' }, 'All'), h('option', { value: 'true' }, 'Read'), h('option', { value: 'false' }, 'Unread'));
  readFilter.value = state.read;
  const table = h('table', { 'aria-describedby': 'books-summary' });
  const summary = h('span', { id: 'books-summary', class: 'muted' });
  const message = h('p', { class: 'muted', role: 'status' });
  const first = h('button', { onclick: () => { state.skip = 0; load(); } }, 'First');
  const previous = h('button', { onclick: () => { state.skip = Math.max(0, state.skip - PAGE); load(); } }, 'Previous');
  const next = h('button', { onclick: () => { state.skip += PAGE; load(); } }, 'Next');
  const dialog = bookDialog(() => load());
  const startLoad = newestOnly();
  root.replaceChildren(
    h('h2', {}, 'Books'),
    h('div', { class: 'toolbar' },
      h('label', {}, 'Search', search),
      h('label', {}, 'Show', readFilter),
      h('button', { class: 'primary', onclick: () => dialog.open(null) }, 'Add book')),
    message, table,
    h('div', { class: 'pager' }, first, previous, next, summary),
    dialog.element);

  async function load() {
    const isNewest = startLoad();
    message.textContent = 'Loading…';
    const params = new URLSearchParams({ skip: state.skip, limit: PAGE, [state.ascending ? 'sortasc' : 'sortdesc']: state.sort });
    if (state.q) params.set('q', state.q);
    if (state.read) params.set('read', state.read);
    try {
      const { data, total } = await api('GET', `/books?${params}`);
      if (!isNewest()) return;
      if (total > 0 && state.skip >= total) { state.skip = Math.max(0, Math.floor((total - 1) / PAGE) * PAGE); return load(); }
      message.textContent = total === 0 ? (state.q || state.read ? 'No books match.' : 'No books yet: add one.') : '';
      renderTable(data);
      summary.textContent = total === 0 ? '' : `${state.skip + 1}–${state.skip + data.length} of ${total}`;
      first.disabled = previous.disabled = state.skip === 0;
      next.disabled = state.skip + PAGE >= total;
    } catch (error) {
      if (!isNewest()) return;
      message.textContent = `Could not load books: ${error.message}`;
      message.className = 'error';
      table.replaceChildren();
      summary.textContent = '';
      return;
    }
    message.className = 'muted';
  }

  function renderTable(books) {
    const head = h('tr', {}, columns.map(([key, label]) => h('th', {
      scope: 'col', 'aria-sort': state.sort === key ? (state.ascending ? 'ascending' : 'descending') : 'none',
    }, h('button', { onclick: () => { state.ascending = state.sort === key ? !state.ascending : true; state.sort = key; state.skip = 0; load(); } }, label))),
    h('th', { scope: 'col' }, h('span', { class: 'muted' }, 'Actions')));
    table.replaceChildren(h('thead', {}, head), h('tbody', {}, books.map(row)));
  }

  function row(book) {
    const read = h('input', { type: 'checkbox', checked: book.read, 'aria-label': `Read: ${book.title}` });
    read.addEventListener('change', () => update(book, { read: read.checked }));
    const score = h('select', { 'aria-label': `Score: ${book.title}` },
      [...Array(12).keys()].map((i) => i - 1).map((s) => h('option', { value: s }, s === -1 ? '–' : s)));
    score.value = String(book.score);
    score.addEventListener('change', () => update(book, { score: Number(score.value) }));
    return h('tr', { 'data-id': book.id },
      h('td', { 'data-label': 'Title' }, book.title), h('td', { 'data-label': 'Author' }, book.author),
      h('td', { 'data-label': 'Year' }, book.year ?? ''), h('td', { 'data-label': 'Score' }, score),
      h('td', { 'data-label': 'Read' }, read),
      h('td', { class: 'actions' },
        h('button', { onclick: () => dialog.open(book) }, 'Edit'), ' ',
        h('button', { class: 'danger', onclick: () => remove(book) }, 'Delete')));
  }

  async function update(book, change) {
    try { await api('PATCH', `/books/${encodeURIComponent(book.id)}`, change); }
    catch (error) { alert(`Could not save ${book.title}: ${error.message}`); }
    load();
  }

  async function remove(book) {
    if (!confirm(`Delete "${book.title}" by ${book.author}?`)) return;
    try { await api('DELETE', `/books/${encodeURIComponent(book.id)}`); }
    catch (error) { alert(`Could not delete: ${error.message}`); }
    load();
  }

  load();
}

// The add/edit form, in a <dialog>. Field errors from a 422 appear next to their fields.
function bookDialog(onSaved) {
  const title = h('input', { required: true, maxlength: 300 });
  const author = h('input', { required: true, maxlength: 300 });
  const year = h('input', { type: 'number', min: -9999, max: 9999, step: 1 });
  const score = h('select', {}, [...Array(12).keys()].map((i) => i - 1).map((s) => h('option', { value: s }, s === -1 ? 'unrated' : s)));
  const read = h('input', { type: 'checkbox' });
  const formError = h('p', { class: 'error', role: 'alert' });
  const heading = h('h2', {}, 'Add book');
  let editing = null;
  const form = h('form', { class: 'stack', novalidate: true, onsubmit: save },
    heading, field('Title', title, 'title'), field('Author', author, 'author'), field('Year', year, 'year'),
    field('Score', score, 'score'), h('label', { class: 'inline' }, read, 'Read'), formError,
    h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', onclick: () => element.close() }, 'Cancel')));
  const element = h('dialog', { 'aria-labelledby': 'book-dialog-title' }, form);
  heading.id = 'book-dialog-title';

  async function save(event) {
    event.preventDefault();
    const body = { title: title.value, author: author.value, year: year.value === '' ? null : Number(year.value), score: Number(score.value), read: read.checked };
    try {
      if (editing) await api('PUT', `/books/${encodeURIComponent(editing.id)}`, body);
      else await api('POST', '/books', body);
      element.close();
      onSaved();
    } catch (error) {
      const unplaced = error instanceof ApiError ? showFieldErrors(form, error.problem) : [];
      formError.textContent = error.status === 422 ? unplaced.join('; ') : error.message;
    }
  }

  return {
    element,
    open(book) {
      editing = book;
      heading.textContent = book ? 'Edit book' : 'Add book';
      title.value = book?.title ?? ''; author.value = book?.author ?? ''; year.value = book?.year ?? '';
      score.value = String(book?.score ?? -1); read.checked = book?.read ?? false;
      showFieldErrors(form, null);
      formError.textContent = '';
      element.showModal();
      title.focus();
    },
  };
}
