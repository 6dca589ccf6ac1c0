// The write token: when the API answers 401 (API_TOKEN is set on the server), ask once, keep the
// answer in sessionStorage (this tab only, gone when it closes), and send it as a bearer token.
import { h } from './dom.js';

const KEY = 'booksapi.token';

export const storedToken = () => sessionStorage.getItem(KEY);
export const forgetToken = () => sessionStorage.removeItem(KEY);

let pending = null;  // one dialog at a time, however many requests got 401

// Resolves to the entered token (now stored), or null when the user cancels.
export function askForToken(rejected) {
  pending ??= new Promise((resolve) => {
    const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
    const form = h('form', { method: 'dialog', class: 'stack' },
      h('h2', { id: 'token-dialog-title' }, 'Access token'),
      h('p', {}, rejected ? 'That token was not accepted. ' : '',
        'This server needs an access token for changes. It is kept only while this tab is open.'),
      h('label', {}, 'Token', input),
      h('div', { class: 'toolbar' }, h('button', { type: 'submit', class: 'primary', value: 'ok' }, 'Continue'),
        h('button', { type: 'submit', value: 'cancel', formnovalidate: true }, 'Cancel')));
    const dialog = h('dialog', { id: 'token-dialog', 'aria-labelledby': 'token-dialog-title' }, form);
    dialog.addEventListener('close', () => {
      const token = dialog.returnValue === 'ok' ? input.value.trim() : '';
      dialog.remove();
      pending = null;
      if (token) sessionStorage.setItem(KEY, token);
      resolve(token || null);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.focus();
  });
  return pending;
}
