// The registry's public APIs, as the logged-in user (the session cookie) or anonymously.
// Every request carries X-ZOT-API-CLIENT: berth requires it on changes made with the cookie
// (another site cannot add it), and it keeps browsers from showing their own login dialog.

const headers = { "X-ZOT-API-CLIENT": "zot-ui" };

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The message of an OCI error body ({"errors":[{"message"}]}), a GraphQL one, or the status.
async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    const first = (body.errors && body.errors[0]) || body;
    const detail = first.message || first.error || first.code;
    if (detail) message = `${detail} (${response.status})`;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message);
}

// Called with every 401: the session may have ended (expired, logged out elsewhere).
let unauthorized = () => {};
export function onUnauthorized(callback) {
  unauthorized = callback;
}

async function call(method, path, options = {}) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    cache: "no-store",
    signal: options.signal,
    body: options.body,
    headers: { ...headers, ...(options.headers || {}) },
  });
  if (response.status === 401) unauthorized();
  if (!response.ok) throw await failure(response);
  return response;
}

// A GraphQL query with variables, so that names never become part of the query text.
export async function graphql(query, variables = {}, signal) {
  const response = await call("POST", "/v2/_zot/ext/search", {
    signal,
    body: JSON.stringify({ query, variables }),
    headers: { "Content-Type": "application/json" },
  });
  const body = await response.json();
  if (body.errors && body.errors.length && !body.data) {
    throw new ApiError(422, body.errors[0].message);
  }
  return body.data || {};
}

// Which authentication berth has on: {htpasswd: {}} or nothing.
export async function authConfig() {
  const body = await (await call("GET", "/v2/_zot/ext/mgmt")).json();
  return (body.http && body.http.auth) || null;
}

export async function currentUser() {
  const body = await (await call("GET", "/zot/auth/session")).json();
  return body.user || "";
}

function base64(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// The password goes to berth once, in this request; berth answers with the session cookie.
export async function login(user, password) {
  const response = await call("POST", "/zot/auth/login", {
    headers: { Authorization: "Basic " + base64(user + ":" + password) },
  });
  return (await response.json()).user;
}

export async function logout() {
  await call("POST", "/zot/auth/logout");
}

const manifestTypes = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

// Repository names, tags and digests are made of URL-safe characters only (the OCI grammar),
// so they go into paths as they are.
export async function manifest(repo, reference) {
  const path = `/v2/${repo}/manifests/${reference}`;
  return (await call("GET", path, { headers: { Accept: manifestTypes } })).json();
}

export async function blobJson(repo, digest) {
  const path = `/v2/${repo}/blobs/${digest}`;
  return (await call("GET", path)).json();
}

// Deletes a tag (the OCI API's DELETE of a manifest by tag: the image stays if other tags
// or digests point at it).
export async function deleteTag(repo, tag) {
  await call("DELETE", `/v2/${repo}/manifests/${tag}`);
}
