import express, { type Request, type Response, type NextFunction, type Router } from "express";
import type { AckLinkOutcome, AckLinkRefusal, AckLinkView } from "../ops/ack-link-service.ts";

/**
 * `<prefix>/ack/<token>`: the one-click ack link, outside the ops API (the signature is the credential,
 * so no token or login is asked for). GET shows what the link acknowledges and a confirmation form (a
 * link preview or a mail scanner fetching it acknowledges nothing); POST acknowledges. Plain HTML, no
 * scripts, everything escaped, readable on a phone.
 */
export interface AckLinkHandler {
  view(token: string): AckLinkView;
  confirm(token: string, comment: string | undefined): Promise<AckLinkOutcome>;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)} · AlertPrism</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:1rem auto;padding:0 1rem;line-height:1.4}
li{margin:.4rem 0;word-break:break-word}code{font-size:.85em}textarea{width:100%;box-sizing:border-box}
button{font-size:1.1rem;padding:.6rem 1.4rem;margin-top:.6rem}.muted{color:#666}</style></head>
<body><h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

function refusal(r: AckLinkRefusal): { status: number; html: string } {
  if (r.reason === "off") return { status: 403, html: page("Ack links are off", "<p>One-click ack links are not enabled on this AlertPrism.</p>") };
  if (r.reason === "expired") {
    const when = r.expiresMs === undefined ? "" : ` at ${esc(new Date(r.expiresMs).toISOString())}`;
    return { status: 403, html: page("This link has expired", `<p>This acknowledgement link expired${when}. Acknowledge the alerts in AlertPrism or with a newer notification's link.</p>`) };
  }
  return { status: 403, html: page("This link is not valid", "<p>This acknowledgement link is damaged or was not signed by this AlertPrism. Copy the whole link from the notification.</p>") };
}

function alertLine(a: { fingerprint: string; labels: Readonly<Record<string, string>> }): string {
  const name = a.labels.alertname ?? a.fingerprint;
  const rest = Object.entries(a.labels).filter(([k]) => k !== "alertname").map(([k, v]) => `${k}=${v}`).join(", ");
  return `<strong>${esc(name)}</strong>${rest ? ` <code>${esc(rest)}</code>` : ""}`;
}

function viewPage(v: AckLinkView): { status: number; html: string } {
  if (!v.ok) return refusal(v);
  const open = v.alerts.filter((a) => a.state === "firing" && a.ackedBy === undefined);
  const items = v.alerts.map((a) => {
    const note = a.state !== "firing" ? ` <span class="muted">(${a.state === "gone" ? "no longer known" : "resolved"})</span>`
      : a.ackedBy !== undefined ? ` <span class="muted">(acknowledged by ${esc(a.ackedBy)})</span>` : "";
    return `<li>${alertLine(a)}${note}</li>`;
  }).join("\n");
  const form = open.length === 0
    ? "<p>Nothing left to acknowledge.</p>"
    : `<form method="post"><label for="comment">Comment (optional)</label>
<textarea id="comment" name="comment" rows="2" maxlength="2000"></textarea>
<button type="submit">Acknowledge ${open.length} alert${open.length === 1 ? "" : "s"}</button></form>`;
  return {
    status: 200,
    html: page(`Acknowledge alerts of ${v.claims.receiver}`, `<p>Acknowledging stops repeat notifications of these alerts until they resolve.</p>
<ul>
${items}
</ul>
${form}
<p class="muted">Link valid until ${esc(new Date(v.claims.expiresMs).toISOString())}.</p>`),
  };
}

function donePage(o: AckLinkOutcome): { status: number; html: string } {
  if (!o.ok) return refusal(o);
  const n = o.acked.length;
  const body = n === 0
    ? "<p>Nothing was acknowledged: these alerts have resolved or were acknowledged already.</p>"
    : `<p>${n} alert${n === 1 ? "" : "s"} acknowledged as <strong>${esc(o.actor)}</strong>. Their repeat notifications stop until they resolve.</p>`;
  return { status: 200, html: page(n === 0 ? "Nothing to acknowledge" : "Acknowledged", body) };
}

function send(res: Response, out: { status: number; html: string }): void {
  res.status(out.status)
    .set({
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
      "X-Frame-Options": "DENY",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    })
    .send(out.html);
}

export function ackLinkRouter(handler: AckLinkHandler): Router {
  const router = express.Router();
  const form = express.raw({ type: () => true, limit: 16 * 1024 });
  router.get("/:token", (req: Request, res: Response) => send(res, viewPage(handler.view(String(req.params.token ?? "")))));
  router.post("/:token", form, (req: Request, res: Response, next: NextFunction) => {
    const raw = Buffer.isBuffer(req.body) ? (req.body as Buffer).toString("utf8") : "";
    const comment = /^application\/x-www-form-urlencoded\b/i.test(req.headers["content-type"] ?? "") ? new URLSearchParams(raw).get("comment") ?? undefined : undefined;
    handler.confirm(String(req.params.token ?? ""), comment).then((o) => send(res, donePage(o)), next);
  });
  router.all("/:token", (req: Request, res: Response) => {
    res.setHeader("Allow", "GET, POST");
    send(res, { status: 405, html: page("Method not allowed", `<p>${esc(req.method)} is not allowed here: open the link in a browser.</p>`) });
  });
  return router;
}
