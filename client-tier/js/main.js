// The shell: a tiny history router between the two views, and the "API unreachable" banner.
import { renderBooks } from './books.js';
import { renderInventory } from './inventory.js';

const view = document.getElementById('view');
const status = document.getElementById('status');

window.addEventListener('api-status', (event) => {
  const online = event.detail.online;
  status.hidden = online;
  status.textContent = online ? '' : 'The API is not reachable. What you see may be out of date; actions will fail until it is back.';
});

function route() {
  const path = location.pathname;
  const name = path.startsWith('/inventory') ? 'inventory' : 'books';
  document.querySelectorAll('nav a').forEach((a) => {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  document.title = name === 'books' ? 'Books' : 'Inventory';
  if (name === 'books') renderBooks(view);
  else renderInventory(view, path.split('/')[2] || 'cars');
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[data-route]');
  if (!link || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  history.pushState(null, '', link.getAttribute('href'));
  route();
  view.focus();
});
window.addEventListener('popstate', route);
route();
