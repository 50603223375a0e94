// The pages: repositories (with search as you type), a repository's tags, an image, login.
// Each view fills `ctx.main`; `ctx.live()` turns false once the user has moved on, so a late
// answer never overwrites the page that replaced it.
import * as api from "./api.js";
import {
  announce, bytes, copyText, fill, h, platforms, shortDigest, when,
} from "./dom.js";

export const repoHref = (repo) => "#/repo/" + encodeURIComponent(repo);
export const imageHref = (repo, tag) =>
  "#/image/" + encodeURIComponent(repo) + "/" + encodeURIComponent(tag);

function heading(text) {
  return h("h1", { tabindex: "-1" }, text);
}

function problem(ctx, error) {
  if (error.name === "AbortError") return null;
  if (error.status === 401) {
    return h("p", { class: "error", role: "alert" }, "Log in to see this. ",
      ctx.state.authOn ? h("a", { href: "#/login" }, "Log in") : null);
  }
  return h("p", { class: "error", role: "alert" }, error.message);
}

function pullCommand(repo, tag) {
  return `podman pull ${location.host}/${repo}:${tag}`;
}

// The pull command in a read-only field (selectable on any device) with a copy button.
function pullBox(repo, tag) {
  const command = pullCommand(repo, tag);
  const field = h("input", {
    type: "text", readonly: true, class: "pull", value: command, "aria-label": "Pull command",
    spellcheck: "false",
  });
  field.addEventListener("focus", () => field.select());
  const button = h("button", { type: "button", class: "copy", "data-command": command }, "Copy");
  button.addEventListener("click", async () => {
    const copied = await copyText(command);
    button.focus();
    button.textContent = copied ? "Copied" : "Copy failed";
    announce(copied ? "Pull command copied" : "Could not copy; select the text instead");
    setTimeout(() => { button.textContent = "Copy"; }, 2000);
  });
  return h("div", { class: "pullbox" }, field, button);
}

function deleteButton(ctx, repo, tag, after) {
  const button = h("button", { type: "button", class: "danger" }, "Delete");
  button.setAttribute("aria-label", `Delete tag ${tag}`);
  button.addEventListener("click", async () => {
    if (!window.confirm(`Delete the tag ${repo}:${tag}?`)) return;
    button.disabled = true;
    try {
      await api.deleteTag(repo, tag);
      announce(`Deleted ${repo}:${tag}`);
      after();
    } catch (error) {
      button.disabled = false;
      const message = error.status === 403
        ? `Not allowed to delete ${repo}:${tag}: ${error.message}`
        : `Deleting ${repo}:${tag} failed: ${error.message}`;
      ctx.flash(message);
    }
  });
  return button;
}

// ---- repositories -------------------------------------------------------------------------

const LIST = `{RepoListWithNewestImage(requestedPage: {limit: 200, offset: 0}) {
  Page {TotalCount} Results {Name LastUpdated Size Platforms {Os Arch} DownloadCount
  NewestImage {Tag Description}}}}`;
const SEARCH = `query Search($q: String!) {GlobalSearch(query: $q,
  requestedPage: {limit: 200, offset: 0, sortBy: RELEVANCE}) {
  Page {TotalCount} Repos {Name LastUpdated Size Platforms {Os Arch} DownloadCount
  NewestImage {Tag Description}}}}`;

function repoItem(repo) {
  const newest = repo.NewestImage || {};
  return h("li", { class: "card" },
    h("a", { href: repoHref(repo.Name), class: "name" }, repo.Name),
    newest.Description ? h("p", { class: "description" }, newest.Description) : null,
    h("p", { class: "facts" },
      newest.Tag ? h("span", {}, "newest ", h("code", {}, newest.Tag)) : null,
      h("span", {}, bytes(repo.Size)),
      h("span", {}, platforms(repo.Platforms)),
      h("span", {}, "updated ", when(repo.LastUpdated))));
}

export function repositories(ctx) {
  const input = h("input", {
    id: "search", type: "search", autocomplete: "off", spellcheck: "false",
    placeholder: "Type to search", value: ctx.params.get("q") || "",
  });
  const count = h("p", { class: "count", "aria-live": "polite" });
  const list = h("ul", { class: "cards", "aria-label": "Repositories" });
  fill(ctx.main, heading("Repositories"),
    h("div", { class: "searchbar", role: "search" },
      h("label", { for: "search" }, "Search repositories"), input),
    count, list);
  let pending = null;
  let timer = 0;
  async function load() {
    const query = input.value.trim();
    if (pending) pending.abort();
    pending = new AbortController();
    try {
      const data = query
        ? (await api.graphql(SEARCH, { q: query }, pending.signal)).GlobalSearch
        : (await api.graphql(LIST, {}, pending.signal)).RepoListWithNewestImage;
      if (!ctx.live()) return;
      const repos = (query ? data.Repos : data.Results) || [];
      fill(list, repos.map(repoItem));
      const total = (data.Page && data.Page.TotalCount) || repos.length;
      fill(count, query
        ? `${total} ${total === 1 ? "repository matches" : "repositories match"} “${query}”`
        : `${total} ${total === 1 ? "repository" : "repositories"}`);
    } catch (error) {
      if (ctx.live() && error.name !== "AbortError") fill(list, h("li", {}, problem(ctx, error)));
    }
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const query = input.value.trim();
      history.replaceState(null, "", query ? "#/?q=" + encodeURIComponent(query) : "#/");
      load();
    }, 120);
  });
  load();
}

// ---- a repository's tags ------------------------------------------------------------------

const REPO = `query Repo($repo: String!) {ExpandedRepoInfo(repo: $repo) {
  Summary {Name Size LastUpdated Platforms {Os Arch}}
  Images {Tag Digest MediaType Size PushTimestamp LastPullTimestamp DownloadCount IsDeletable
  Manifests {Digest Size Platform {Os Arch}}}}}`;

function cell(label, ...content) {
  return h("td", { "data-label": label }, ...content);
}

function tagRow(ctx, repo, image, reload) {
  const platformsOf = (image.Manifests || []).map((m) => m.Platform);
  return h("tr", {},
    h("th", { scope: "row", "data-label": "Tag" },
      h("a", { href: imageHref(repo, image.Tag) }, image.Tag)),
    cell("Platforms", platforms(platformsOf)),
    cell("Size", bytes(image.Size)),
    cell("Pushed", when(image.PushTimestamp, "unknown")),
    cell("Last pulled", when(image.LastPullTimestamp)),
    cell("Digest", shortDigest(image.Digest)),
    cell("Pull", pullBox(repo, image.Tag)),
    cell("", image.IsDeletable ? deleteButton(ctx, repo, image.Tag, reload) : null));
}

export async function repository(ctx, repo) {
  fill(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Repositories")),
    heading(repo), h("p", { class: "muted" }, "Loading…"));
  let info;
  try {
    info = (await api.graphql(REPO, { repo })).ExpandedRepoInfo;
  } catch (error) {
    if (ctx.live()) ctx.main.lastChild.replaceWith(problem(ctx, error) || "");
    return;
  }
  if (!ctx.live()) return;
  const summary = info.Summary || {};
  const images = (info.Images || []).filter((image) => image.Tag)
    .sort((a, b) => String(b.PushTimestamp).localeCompare(String(a.PushTimestamp)));
  // After a delete the button is gone: keyboard focus goes back to the page's heading.
  const reload = async () => {
    await repository(ctx, repo);
    const title = ctx.main.querySelector("h1");
    if (title && ctx.live()) title.focus();
  };
  const table = h("table", { class: "tags" },
    h("caption", { class: "offscreen" }, `Tags of ${repo}`),
    h("thead", {}, h("tr", {}, ["Tag", "Platforms", "Size", "Pushed", "Last pulled", "Digest",
      "Pull command", ""].map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, images.map((image) => tagRow(ctx, repo, image, reload))));
  fill(ctx.main, h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Repositories")),
    heading(repo),
    h("p", { class: "facts" },
      h("span", {}, `${images.length} ${images.length === 1 ? "tag" : "tags"}`),
      h("span", {}, bytes(summary.Size)),
      h("span", {}, platforms(summary.Platforms)),
      h("span", {}, "updated ", when(summary.LastUpdated))),
    images.length ? table : h("p", { class: "muted" }, "No tags."));
}

// ---- an image -----------------------------------------------------------------------------

const IMAGE = `query Image($image: String!) {Image(image: $image) {
  RepoName Tag Digest MediaType Size PushTimestamp LastPullTimestamp DownloadCount IsDeletable
  Description Vendor Licenses Title Source Documentation Authors
  Referrers {MediaType ArtifactType Size Digest Annotations {Key Value}}
  Manifests {Digest ConfigDigest Size ArtifactType Platform {Os Arch} Layers {Size Digest}
  History {Layer {Size Digest} HistoryDescription {Created CreatedBy EmptyLayer}}}}}`;

function facts(pairs) {
  const rows = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "");
  return h("dl", { class: "facts-list" },
    rows.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]));
}

function keyValues(title, entries) {
  if (!entries.length) return [h("h3", {}, title), h("p", { class: "muted" }, "None.")];
  return [h("h3", {}, title), h("table", { class: "kv" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Key"), h("th", { scope: "col" }, "Value"))),
    h("tbody", {}, entries.map(([key, value]) =>
      h("tr", {}, h("th", { scope: "row" }, key), h("td", {}, h("code", {}, String(value)))))))];
}

function layerTable(manifest) {
  const history = manifest.History || [];
  const rows = history.length
    ? history.filter((entry) => entry.Layer).map((entry) => [entry.Layer,
      (entry.HistoryDescription || {}).CreatedBy])
    : (manifest.Layers || []).map((layer) => [layer, ""]);
  return [h("h3", {}, `Layers (${rows.length})`), h("table", { class: "layers" },
    h("thead", {}, h("tr", {}, ["#", "Size", "Digest", "Created by"].map((name) =>
      h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows.map(([layer, createdBy], index) => h("tr", {},
      cell("#", String(index + 1)), cell("Size", bytes(layer.Size)),
      cell("Digest", shortDigest(layer.Digest)),
      cell("Created by", createdBy ? h("code", { class: "wrap" }, createdBy) : "")))))];
}

function configFacts(config) {
  const c = config.config || {};
  const list = (value) => (Array.isArray(value) ? value.join(" ") : value);
  return facts([
    ["Created", config.created ? when(config.created) : null],
    ["Platform", [config.os, config.architecture, config.variant].filter(Boolean).join("/")],
    ["Entrypoint", list(c.Entrypoint)], ["Command", list(c.Cmd)],
    ["Working directory", c.WorkingDir], ["User", c.User],
    ["Ports", c.ExposedPorts ? Object.keys(c.ExposedPorts).join(", ") : null],
    ["Volumes", c.Volumes ? Object.keys(c.Volumes).join(", ") : null],
    ["Environment", (c.Env || []).length ? h("ul", { class: "plain" },
      c.Env.map((line) => h("li", {}, h("code", {}, line)))) : null],
  ]);
}

// Config, labels, annotations and layers of one platform's manifest.
async function platformDetails(ctx, repo, manifest, target) {
  fill(target, h("p", { class: "muted" }, "Loading…"));
  try {
    const body = await api.manifest(repo, manifest.Digest);
    const config = manifest.ConfigDigest ? await api.blobJson(repo, manifest.ConfigDigest) : {};
    if (!ctx.live()) return;
    fill(target,
      h("h3", {}, "Configuration"), configFacts(config),
      keyValues("Labels", Object.entries((config.config || {}).Labels || {})),
      keyValues("Annotations", Object.entries(body.annotations || {})),
      layerTable(manifest));
  } catch (error) {
    if (ctx.live()) fill(target, problem(ctx, error));
  }
}

function referrers(list) {
  if (!list || !list.length) return [h("h2", {}, "Referrers"), h("p", { class: "muted" }, "None.")];
  return [h("h2", {}, "Referrers"), h("table", { class: "referrers" },
    h("thead", {}, h("tr", {}, ["Artifact type", "Size", "Digest", "Annotations"].map((name) =>
      h("th", { scope: "col" }, name)))),
    h("tbody", {}, list.map((r) => h("tr", {},
      cell("Artifact type", h("code", {}, r.ArtifactType || r.MediaType)),
      cell("Size", bytes(r.Size)), cell("Digest", shortDigest(r.Digest)),
      cell("Annotations", h("ul", { class: "plain" }, (r.Annotations || []).map((a) =>
        h("li", {}, h("code", {}, `${a.Key}=${a.Value}`)))))))))];
}

function platformPicker(ctx, repo, manifests, target) {
  if (manifests.length < 2) return null;
  const buttons = manifests.map((manifest, index) => {
    const button = h("button", { type: "button", "aria-pressed": index === 0 ? "true" : "false" },
      platforms([manifest.Platform]));
    button.addEventListener("click", () => {
      for (const other of buttons) other.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-pressed", "true");
      platformDetails(ctx, repo, manifest, target);
    });
    return button;
  });
  return h("div", { class: "picker", role: "group", "aria-label": "Platform" }, buttons);
}

export async function image(ctx, repo, tag) {
  const crumbs = h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Repositories"), " / ",
    h("a", { href: repoHref(repo) }, repo));
  fill(ctx.main, crumbs, heading(`${repo}:${tag}`), h("p", { class: "muted" }, "Loading…"));
  let summary;
  try {
    summary = (await api.graphql(IMAGE, { image: `${repo}:${tag}` })).Image;
  } catch (error) {
    if (ctx.live()) ctx.main.lastChild.replaceWith(problem(ctx, error) || "");
    return;
  }
  if (!ctx.live()) return;
  if (!summary) {
    ctx.main.lastChild.replaceWith(h("p", { class: "error", role: "alert" }, "No such image."));
    return;
  }
  const manifests = summary.Manifests || [];
  const details = h("div", { class: "platform" });
  fill(ctx.main, crumbs, heading(`${repo}:${tag}`),
    pullBox(repo, tag),
    summary.IsDeletable ? h("p", {}, deleteButton(ctx, repo, tag, () => {
      location.hash = repoHref(repo);
    })) : null,
    facts([
      ["Digest", h("code", { class: "wrap" }, summary.Digest)],
      ["Media type", h("code", {}, summary.MediaType)],
      ["Size", bytes(summary.Size)],
      ["Platforms", platforms(manifests.map((m) => m.Platform))],
      ["Pushed", when(summary.PushTimestamp, "unknown")],
      ["Last pulled", when(summary.LastPullTimestamp)],
      ["Downloads", String(summary.DownloadCount || 0)],
      ["Title", summary.Title], ["Description", summary.Description],
      ["Vendor", summary.Vendor], ["Licenses", summary.Licenses],
      ["Source", summary.Source], ["Documentation", summary.Documentation],
      ["Authors", summary.Authors],
    ]),
    h("h2", {}, "Image"),
    platformPicker(ctx, repo, manifests, details),
    details,
    referrers(summary.Referrers));
  if (manifests.length) platformDetails(ctx, repo, manifests[0], details);
}

// ---- login --------------------------------------------------------------------------------

export function loginPage(ctx) {
  const user = h("input", { id: "user", name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    id: "password", name: "password", type: "password", autocomplete: "current-password",
    required: true,
  });
  const message = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit" }, "Log in");
  const form = h("form", { class: "login", method: "post", action: "#" },
    h("label", { for: "user" }, "User name"), user,
    h("label", { for: "password" }, "Password"), password,
    submit, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    fill(message);
    try {
      const name = await api.login(user.value, password.value);
      password.value = "";
      ctx.signedIn(name);
    } catch (error) {
      password.value = "";
      fill(message, error.status === 401 ? "Wrong user name or password." : error.message);
      password.focus();
    } finally {
      submit.disabled = false;
    }
  });
  fill(ctx.main, heading("Log in"),
    h("p", { class: "muted" }, "With your registry user name and password. The browser keeps only "
      + "a session cookie, never the password."),
    form);
  user.focus();
}
