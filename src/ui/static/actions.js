// @ts-check
// Operator actions on one alert, shared by the Now and Alert views: Ack (inline form with a comment and an
// optional expiry), Unack, Comment, Silence (inline form: matchers pre-filled from the alert's labels, a
// duration, a comment). Each form opens in a slot the view gives; while one is open the views do not
// refresh (formOpen). Errors stay in the form; success closes it and calls back with a confirmation line.
import { call } from "./api.js";
import { errorBox, h } from "./util.js";

/**
 * @typedef {object} ActionTarget
 * @property {string} fingerprint
 * @property {Record<string, string>} labels
 * @property {boolean | undefined} acked true / false, or undefined when unknown (both Ack and Unack shown)
 */

/**
 * @typedef {object} ActionOptions
 * @property {(message: string) => (void | Promise<void>)} onDone after a committed action: re-fetch, show the line
 * @property {HTMLElement} slot where the inline form (or an Unack error) goes
 */

const FORM_SELECTOR = '[data-testid="action-form"]';

/** Whether an action form is open inside `root` (the views skip auto-refresh then). @param {ParentNode} root */
export function formOpen(root) {
  return root.querySelector(FORM_SELECTOR) !== null;
}

/** A matcher value in Alertmanager's quoted syntax (OpenMetrics escapes). @param {string} v */
export function quoteValue(v) {
  return `"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Equality matchers for every label, as one `{a="b", c="d"}` text. @param {Record<string, string>} labels */
export function labelMatchers(labels) {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${quoteValue(labels[k] ?? "")}`).join(", ")}}`;
}

const isSpace = (/** @type {string | undefined} */ c) => c !== undefined && /\s/.test(c);

/**
 * Splits matcher text into single matchers: `{a="b", c=~"d"}`, `a="b", c="d"` or `a="b" c="d"` (commas or
 * spaces between matchers; quoted values may hold both). Nothing is validated here: a malformed piece is
 * passed on as it is, so the API's 400 names it.
 * @param {string} text
 * @returns {string[]}
 */
export function splitMatchers(text) {
  let s = text.trim();
  if (s.startsWith("{")) s = s.slice(1);
  if (s.endsWith("}")) s = s.slice(0, -1);
  /** @type {string[]} */
  const out = [];
  let i = 0;
  const skipSpace = () => {
    while (i < s.length && isSpace(s[i])) i++;
  };
  const toSeparator = () => {
    while (i < s.length && s[i] !== "," && !isSpace(s[i])) i++;
  };
  while (i < s.length) {
    while (i < s.length && (s[i] === "," || isSpace(s[i]))) i++;
    if (i >= s.length) break;
    const start = i;
    while (i < s.length && !/[=!~,\s]/.test(s[i] ?? "")) i++;
    skipSpace();
    const two = s.slice(i, i + 2);
    if (two === "=~" || two === "!=" || two === "!~") i += 2;
    else if (s[i] === "=") i += 1;
    else {
      toSeparator();
      out.push(s.slice(start, i));
      continue;
    }
    skipSpace();
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') i += s[i] === "\\" ? 2 : 1;
      i = Math.min(i + 1, s.length);
    } else {
      toSeparator();
    }
    out.push(s.slice(start, i).trim());
  }
  return out;
}

/** The alert's short name for confirmation lines. @param {Record<string, string>} labels */
function nameOf(labels) {
  const n = labels.alertname ?? "alert";
  const where = labels.instance ?? labels.service ?? labels.job;
  return where ? `${n} (${where})` : n;
}

/** Closes any form in the slot. @param {HTMLElement} slot */
function closeForm(slot) {
  slot.replaceChildren();
  slot.hidden = true;
}

/**
 * An inline form in the slot: fields, Submit and Cancel, errors under them. Escape cancels.
 * @param {HTMLElement} slot
 * @param {string} kind ack | comment | silence
 * @param {string} title
 * @param {HTMLElement[]} fields
 * @param {string} submitLabel
 * @param {() => Promise<string>} submit the confirmation line
 * @param {ActionOptions} opts
 */
function openForm(slot, kind, title, fields, submitLabel, submit, opts) {
  const errors = h("div", { class: "action-errors", "data-testid": "action-error-slot" });
  const submitButton = /** @type {HTMLButtonElement} */ (h("button", { type: "submit", "data-testid": "action-submit" }, [submitLabel]));
  const form = /** @type {HTMLFormElement} */ (h("form", { class: "action-form", "data-testid": "action-form", "data-form": kind }, [
    h("strong", { class: "action-title" }, [title]),
    ...fields,
    h("div", { class: "row" }, [
      submitButton,
      h("button", { type: "button", class: "quiet", "data-testid": "action-cancel", onclick: () => closeForm(slot) }, ["Cancel"]),
    ]),
    errors,
  ]));
  form.addEventListener("keydown", (e) => {
    if (/** @type {KeyboardEvent} */ (e).key === "Escape") closeForm(slot);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!form.reportValidity()) return;
    submitButton.disabled = true;
    errors.replaceChildren();
    submit().then(
      async (message) => {
        closeForm(slot);
        await opts.onDone(message);
      },
      (err) => {
        submitButton.disabled = false;
        errors.replaceChildren(errorBox(err));
      },
    );
  });
  slot.hidden = false;
  slot.replaceChildren(form);
  const first = form.querySelector("input, textarea, select");
  if (first instanceof HTMLElement) first.focus();
}

/** @param {string} label @param {HTMLElement} control */
function field(label, control) {
  return h("label", { class: "action-field" }, [h("span", {}, [label]), control]);
}

/** @param {string} testid @param {Array<[string, string]>} options value, text */
function select(testid, options) {
  return /** @type {HTMLSelectElement} */ (h("select", { "data-testid": testid }, options.map(([v, t]) => h("option", { value: v }, [t]))));
}

/** @param {ActionTarget} t @param {ActionOptions} opts */
function openAck(t, opts) {
  const comment = /** @type {HTMLInputElement} */ (h("input", { type: "text", class: "grow", required: true, maxlength: 2000, "data-testid": "ack-comment", placeholder: "what you are doing about it" }));
  const expires = select("ack-expires", [["", "until it resolves"], ["1h", "1 hour"], ["4h", "4 hours"], ["1d", "1 day"]]);
  openForm(opts.slot, "ack", `Acknowledge ${nameOf(t.labels)}`, [field("Comment", comment), field("Ack lasts", expires)], "Acknowledge", async () => {
    /** @type {{ comment: string, expires?: string }} */
    const body = { comment: comment.value.trim() };
    if (expires.value !== "") body.expires = expires.value;
    await call("POST", `api/ops/v1/alerts/${encodeURIComponent(t.fingerprint)}/ack`, body);
    return `Acknowledged ${nameOf(t.labels)}.`;
  }, opts);
}

/** @param {ActionTarget} t @param {ActionOptions} opts */
function openComment(t, opts) {
  const text = /** @type {HTMLTextAreaElement} */ (h("textarea", { rows: 3, required: true, maxlength: 10000, "data-testid": "comment-text" }));
  openForm(opts.slot, "comment", `Comment on ${nameOf(t.labels)}`, [field("Comment", text)], "Add comment", async () => {
    await call("POST", `api/ops/v1/alerts/${encodeURIComponent(t.fingerprint)}/comments`, { text: text.value.trim() });
    return `Comment added to ${nameOf(t.labels)}.`;
  }, opts);
}

const DURATION_TEXT = /** @type {Record<string, string>} */ ({ "1h": "1 hour", "4h": "4 hours", "1d": "1 day" });

/** @param {ActionTarget} t @param {ActionOptions} opts */
function openSilence(t, opts) {
  const matchers = /** @type {HTMLInputElement} */ (h("input", { type: "text", class: "grow", required: true, spellcheck: "false", "data-testid": "silence-matchers", value: labelMatchers(t.labels) }));
  const duration = select("silence-duration", [["1h", "1 hour"], ["4h", "4 hours"], ["1d", "1 day"], ["custom", "custom…"]]);
  duration.value = "4h";
  const custom = /** @type {HTMLInputElement} */ (h("input", { type: "text", placeholder: "e.g. 2h30m, 3d", pattern: "\\s*([0-9]+(ms|s|m|h|d|w|y))+\\s*", "data-testid": "silence-custom-duration", hidden: true }));
  duration.addEventListener("change", () => {
    custom.hidden = duration.value !== "custom";
    custom.required = duration.value === "custom";
    if (!custom.hidden) custom.focus();
  });
  const comment = /** @type {HTMLInputElement} */ (h("input", { type: "text", class: "grow", required: true, "data-testid": "silence-comment", placeholder: "why" }));
  openForm(opts.slot, "silence", `Silence alerts like ${nameOf(t.labels)}`, [
    field("Matchers (all must match; edit to widen)", matchers),
    h("div", { class: "row" }, [field("For", duration), custom]),
    field("Comment", comment),
  ], "Create silence", async () => {
    const d = duration.value === "custom" ? custom.value.trim() : duration.value;
    const r = await call("POST", "api/ops/v1/silences", { matchers: splitMatchers(matchers.value), duration: d, comment: comment.value.trim() });
    return `Silence ${r?.silenceID ?? ""} created for ${DURATION_TEXT[d] ?? d}.`;
  }, opts);
}

/**
 * Unack at once (no form); an error goes into the slot.
 * @param {ActionTarget} t @param {ActionOptions} opts @param {HTMLButtonElement} button
 */
async function unack(t, opts, button) {
  button.disabled = true;
  closeForm(opts.slot);
  try {
    await call("DELETE", `api/ops/v1/alerts/${encodeURIComponent(t.fingerprint)}/ack`);
  } catch (err) {
    button.disabled = false;
    opts.slot.hidden = false;
    opts.slot.replaceChildren(h("div", { class: "action-errors", "data-testid": "action-error-slot" }, [errorBox(err)]));
    return;
  }
  await opts.onDone(`Removed the ack of ${nameOf(t.labels)}.`);
}

/**
 * The action buttons of one alert: Ack (or Unack when acked), Comment, Silence; each `data-action`.
 * @param {ActionTarget} t
 * @param {ActionOptions} opts
 * @returns {HTMLElement}
 */
export function actionButtons(t, opts) {
  /** @param {string} action @param {string} text @param {(b: HTMLButtonElement) => void} run */
  const button = (action, text, run) => {
    const b = /** @type {HTMLButtonElement} */ (h("button", { type: "button", class: "quiet", "data-action": action, "data-fingerprint": t.fingerprint }, [text]));
    b.addEventListener("click", () => run(b));
    return b;
  };
  return h("span", { class: "actions", "data-testid": "actions" }, [
    t.acked !== true && button("ack", "Ack", () => openAck(t, opts)),
    t.acked !== false && button("unack", "Unack", (b) => void unack(t, opts, b)),
    button("comment", "Comment", () => openComment(t, opts)),
    button("silence", "Silence", () => openSilence(t, opts)),
  ]);
}

/** An empty, hidden slot for an alert's forms. */
export function actionSlot() {
  const slot = h("div", { class: "action-slot", "data-testid": "action-slot" });
  slot.hidden = true;
  return slot;
}

/**
 * A confirmation line (role=status), replacing the previous one.
 * @param {HTMLElement} box
 * @param {string} message
 */
export function confirm(box, message) {
  box.replaceChildren(h("p", { class: "confirm", role: "status", "data-testid": "action-result" }, [message]));
}

export { closeForm };
