// Building the page. Everything shown comes from the registry, and repository names, tags,
// labels and annotations are chosen by whoever pushed: text only ever goes in as text nodes,
// never as HTML.

// h("a", {href: "#/"}, "text", child, ...): an element with attributes and children. An
// attribute that is a function becomes an event listener ("onclick" → "click"); null, false
// and undefined attributes and children are skipped.
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, ""), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(element, child);
    } else if (child instanceof Node) {
      element.appendChild(child);
    } else {
      element.appendChild(document.createTextNode(String(child)));
    }
  }
}

// Replaces what `element` holds.
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
}

const units = ["B", "KB", "MB", "GB", "TB"];

// 1234567 → "1.2 MB" (decimal units, as registries and podman show them).
export function bytes(value) {
  let size = Number(value);
  if (!Number.isFinite(size) || size < 0) return "–";
  let unit = 0;
  while (size >= 1000 && unit < units.length - 1) {
    size /= 1000;
    unit++;
  }
  return (unit === 0 ? String(size) : size.toFixed(size < 10 ? 1 : 0)) + " " + units[unit];
}

// A time the registry gives (RFC 3339), or null when it never happened.
export function parseTime(text) {
  if (!text) return null;
  const time = new Date(text);
  if (Number.isNaN(time.getTime()) || time.getUTCFullYear() < 1971) return null;
  return time;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const steps = [
  ["second", 60], ["minute", 60], ["hour", 24], ["day", 30], ["month", 12], ["year", Infinity],
];

// A <time> saying "3 hours ago", the exact time in its title; "never" when there is none.
export function when(text, never = "never") {
  const time = parseTime(text);
  if (!time) return h("span", { class: "muted" }, never);
  let amount = (time.getTime() - Date.now()) / 1000;
  let unit = "second";
  for (const [name, size] of steps) {
    unit = name;
    if (Math.abs(amount) < size) break;
    amount /= size;
  }
  return h("time", { datetime: time.toISOString(), title: time.toLocaleString() },
    relative.format(Math.round(amount), unit));
}

export function platforms(list) {
  const names = (list || []).filter((p) => p && (p.Os || p.Arch))
    .map((p) => [p.Os, p.Arch].filter(Boolean).join("/"));
  return [...new Set(names)].join(", ") || "–";
}

// "sha256:0123456789ab…" shortened for tables; the full digest in the title.
export function shortDigest(digest) {
  const text = String(digest || "");
  return h("code", { class: "digest", title: text }, text.replace(/^(sha\d+:)(.{12}).*$/, "$1$2…"));
}

// The announcement region screen readers read out (copied, deleted, failed).
export function announce(message) {
  const status = document.getElementById("status");
  status.textContent = "";
  setTimeout(() => { status.textContent = message; }, 30);
}

// Copies text to the clipboard. The Clipboard API exists only on secure pages (https or
// localhost); a registry on a LAN address over plain http gets the older selection copy.
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the selection copy
    }
  }
  const area = h("textarea", { readonly: true, class: "offscreen", "aria-hidden": "true" });
  area.value = text;
  document.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  area.remove();
  return copied;
}
