// @ts-check
// The page's shell: hash routes (#/now, #/alert/<fingerprint>, #/history, #/stats, #/anomalies), the
// token (pasted once, or from a link's #token=…, kept in sessionStorage for this tab), and a notice line.
import { setToken, token } from "./api.js";
import { errorBox, h } from "./util.js";

/** @typedef {(root: HTMLElement, params: string[]) => (void | (() => void) | Promise<void | (() => void)>)} View */

/** @type {Record<string, () => Promise<{ render: View }>>} */
const VIEWS = {
  now: () => import("./view-now.js"),
  alert: () => import("./view-alert.js"),
  history: () => import("./view-history.js"),
  stats: () => import("./view-stats.js"),
  anomalies: () => import("./view-anomalies.js"),
};

/** @type {(() => void) | undefined} */
let cleanup;

async function route() {
  const [path] = window.location.hash.replace(/^#\/?/, "").split("?");
  const [name = "now", ...params] = (path ?? "").split("/").filter((s) => s !== "");
  const load = VIEWS[name] ?? VIEWS.now;
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.getAttribute("data-view") === name);
  cleanup?.();
  cleanup = undefined;
  const root = /** @type {HTMLElement} */ (document.getElementById("view"));
  root.replaceChildren(h("p", { class: "muted" }, ["Loading…"]));
  try {
    const mod = await load();
    const done = await mod.render(root, params.map(decodeURIComponent));
    if (typeof done === "function") cleanup = done;
  } catch (err) {
    root.replaceChildren(errorBox(err));
  }
}

/** @param {string} text */
export function notice(text) {
  const el = /** @type {HTMLElement} */ (document.getElementById("notice"));
  el.textContent = text;
  el.hidden = text === "";
}

function takeTokenFromLink() {
  const m = /[#&?]token=([^&]+)/.exec(window.location.hash);
  if (!m) return;
  setToken(decodeURIComponent(m[1] ?? ""));
  const rest = window.location.hash.replace(/[?&]?token=[^&]+/, "").replace(/#\/?&?$/, "") || "#/now";
  history.replaceState(null, "", rest);
}

function setUpTokenDialog() {
  const dialog = /** @type {HTMLDialogElement} */ (document.getElementById("token-dialog"));
  const input = /** @type {HTMLTextAreaElement} */ (document.getElementById("token-input"));
  const button = /** @type {HTMLButtonElement} */ (document.getElementById("token-button"));
  const label = () => {
    button.textContent = token() === "" ? "Token" : "Token ✓";
  };
  label();
  button.addEventListener("click", () => {
    input.value = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "save") setToken(input.value);
    if (dialog.returnValue === "clear") setToken("");
    label();
    if (dialog.returnValue !== "cancel") void route();
  });
}

takeTokenFromLink();
setUpTokenDialog();
window.addEventListener("hashchange", () => void route());
void route();
