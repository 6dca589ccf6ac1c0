// h('button', {class: 'primary', onclick}, 'Save'): a small element builder, so views stay declarative.
export function h(tag, attributes = {}, ...children) {
  const element = tag === 'svg' || svgTags.has(tag) ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) element.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked') element[key] = value;
    else element.setAttribute(key === 'className' ? 'class' : key, value === true ? '' : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const svgTags = new Set(['rect', 'line', 'text', 'g', 'path', 'title', 'polygon']);

let idCounter = 0;
export const uniqueId = (prefix) => `${prefix}-${++idCounter}`;

// A labelled control with a slot for its field error, so 422 errors appear at the field.
export function field(labelText, control, name) {
  const errorId = uniqueId(`error-${name}`);
  control.setAttribute('aria-describedby', errorId);
  control.name = name;
  return h('label', {}, labelText, control, h('span', { class: 'field-error', id: errorId, 'data-error-for': name }));
}

// Shows a problem+json's errors[] next to the fields of `form`; returns the errors it could not place.
export function showFieldErrors(form, problem) {
  form.querySelectorAll('[data-error-for]').forEach((slot) => { slot.textContent = ''; });
  const unplaced = [];
  for (const { field: name, message } of problem?.errors ?? []) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (slot) slot.textContent = `${name} ${message}`; else unplaced.push(`${name} ${message}`);
  }
  return unplaced;
}
