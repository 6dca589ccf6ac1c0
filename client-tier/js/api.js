// The API client: JSON in and out, problem+json errors as ApiError, and a page-wide signal when the
// API cannot be reached at all, so the page says so instead of going blank.
import { askForToken, forgetToken, storedToken } from './token.js';

const base = document.querySelector('meta[name="api-base"]')?.content ?? '';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function api(method, path, body) {
  let response;
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const token = storedToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  try {
    response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    window.dispatchEvent(new CustomEvent('api-status', { detail: { online: false } }));
    throw new ApiError(0, { title: 'The API is not reachable', detail: 'The server is not reachable. Check your connection or try again in a moment.' });
  }
  window.dispatchEvent(new CustomEvent('api-status', { detail: { online: true } }));
  // 401: the server wants the token (RFC 6750). Ask, then send the same request again.
  if (response.status === 401 && response.headers.get('WWW-Authenticate')?.startsWith('Bearer')) {
    if (token) forgetToken();
    if (await askForToken(token !== null)) return api(method, path, body);
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new ApiError(response.status, data ?? { title: response.statusText });
  const total = response.headers.get('X-Total-Count');
  return { data, total: total === null ? null : Number(total), status: response.status };
}

// Loads of one view can overlap (quick clicks, typing) and their answers can arrive out of order.
// Each load takes a ticket; only the holder of the newest one may render.
export function newestOnly() {
  let newest = 0;
  return () => { const ticket = ++newest; return () => ticket === newest; };
}

// A datetime-local value (local time) as RFC 3339 UTC, or null when empty.
export const toInstant = (value) => (value ? new Date(value).toISOString() : null);
