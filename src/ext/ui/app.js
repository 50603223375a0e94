// The page's frame: header with the login state, the hash router, the status messages.
import * as api from "./api.js";
import { announce, fill, h } from "./dom.js";
import { image, loginPage, repositories, repository } from "./views.js";

const state = { authOn: false, user: "" };
const main = document.getElementById("main");
const account = document.getElementById("account");
const flashBox = document.getElementById("flash");
let generation = 0;
let back = "#/";

// Messages above the page until dismissed or the page changes; "" clears them.
function flash(message) {
  if (!message) {
    fill(flashBox);
    return;
  }
  const line = h("p", { class: "error", role: "alert" }, message);
  line.appendChild(h("button", { type: "button", class: "link", onclick: () => line.remove() },
    "Dismiss"));
  flashBox.appendChild(line);
}

function renderAccount() {
  if (!state.authOn) {
    fill(account);
    return;
  }
  if (!state.user) {
    fill(account, h("a", { href: "#/login", class: "button" }, "Log in"));
    return;
  }
  const out = h("button", { type: "button" }, "Log out");
  out.addEventListener("click", async () => {
    try {
      await api.logout();
    } catch (error) {
      flash(`Logging out failed: ${error.message}`);
      return;
    }
    state.user = "";
    renderAccount();
    announce("Logged out");
    route(false);
  });
  fill(account, h("span", { class: "user" }, "Logged in as ", h("strong", {}, state.user)), out);
}

function signedIn(name) {
  state.user = name;
  renderAccount();
  announce(`Logged in as ${name}`);
  location.hash = back === "#/login" ? "#/" : back;
}

// "#/repo/a%2Fb" → ["repo", "a/b"]; "#/?q=x" → [""] with q=x.
function parse() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [path, query] = hash.split("?");
  const parts = path.split("/").map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return "";
    }
  });
  return { parts, params: new URLSearchParams(query || "") };
}

function route(moved) {
  const mine = ++generation;
  const { parts, params } = parse();
  const ctx = { main, state, params, flash, signedIn, live: () => mine === generation };
  flash("");
  const [page, first, second] = parts;
  if (page === "repo" && first) {
    repository(ctx, first);
  } else if (page === "image" && first && second) {
    image(ctx, first, second);
  } else if (page === "login") {
    loginPage(ctx);
  } else {
    repositories(ctx);
  }
  if (page !== "login") back = location.hash || "#/";
  if (moved && page !== "login") {
    const title = main.querySelector("h1");
    if (title) title.focus();
  }
  document.title = page === "repo" || page === "image"
    ? `${first}${second ? ":" + second : ""} · berth` : "berth";
}

// A 401 while the header says "logged in": ask berth whether the session still holds.
async function recheckSession() {
  if (!state.authOn || !state.user) return;
  try {
    const name = await api.currentUser();
    if (name !== state.user) {
      state.user = name;
      renderAccount();
      if (!name) flash("Your session has ended; log in again.");
    }
  } catch {
    // berth unreachable: the page shows that error already
  }
}

async function start() {
  api.onUnauthorized(recheckSession);
  try {
    const auth = await api.authConfig();
    state.authOn = Boolean(auth && auth.htpasswd);
    if (state.authOn) state.user = await api.currentUser();
  } catch (error) {
    flash(`The registry did not answer: ${error.message}`);
  }
  renderAccount();
  window.addEventListener("hashchange", () => route(true));
  // "/" jumps to the search field, as on many sites.
  document.addEventListener("keydown", (event) => {
    const field = document.getElementById("search");
    const typing = ["INPUT", "TEXTAREA"].includes(document.activeElement.tagName);
    if (event.key === "/" && field && !typing) {
      event.preventDefault();
      field.focus();
    }
  });
  route(false);
}

start();
