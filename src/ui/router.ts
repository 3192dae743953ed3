/**
 * `<route-prefix>/ui/`: the on-call page. The HTML shell and its scripts are public (they hold no data);
 * everything shown is read from the ops API by the page itself, with the token the user gives it.
 */
import { Router, type Request, type Response } from "express";
import { loadAssets, type Asset } from "./assets.ts";

export interface UiOptions {
  /** The route prefix the page is served under ("" for none), for its API calls. */
  readonly routePrefix: string;
  readonly version: string;
}

const IMMUTABLE = "public, max-age=31536000, immutable";

/** The page's HTML, with asset URLs carrying their hashes and the page's settings as JSON. */
function renderIndex(template: string, assets: ReadonlyMap<string, Asset>, opts: UiOptions): string {
  const settings = JSON.stringify({ routePrefix: opts.routePrefix, version: opts.version }).replace(/</g, "\\u003c");
  return template
    .replace(/\{\{asset:([A-Za-z0-9._-]+)\}\}/g, (_m, name: string) => `static/${name}?v=${assets.get(name)?.hash ?? "missing"}`)
    .replace("{{settings}}", settings)
    .replace("{{version}}", opts.version.replace(/[<>&"]/g, ""));
}

export function uiRouter(opts: UiOptions): Router {
  const assets = loadAssets();
  const template = assets.get("index.html");
  if (!template) throw new Error("the web page's index.html is missing (src/ui/static)");
  const index = Buffer.from(renderIndex(template.body.toString("utf8"), assets, opts));
  const router = Router();
  const sendIndex = (_req: Request, res: Response) => {
    // The shell is small and names the current asset hashes: always revalidate it.
    res.setHeader("Cache-Control", "no-cache");
    res.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.type("text/html; charset=utf-8").send(index);
  };
  router.get("/", (req, res) => {
    // "…/ui" → "…/ui/": the page's relative URLs resolve against the trailing slash. The Location is
    // relative too, so it stays right behind a proxy that mounts AlertPrism under another path.
    if (!req.originalUrl.split("?")[0]!.endsWith("/")) {
      res.redirect(301, "ui/");
      return;
    }
    sendIndex(req, res);
  });
  router.get("/static/:name", (req, res) => {
    const asset = req.params.name === "index.html" ? undefined : assets.get(req.params.name);
    if (!asset) {
      res.status(404).type("text/plain").send("not found");
      return;
    }
    const etag = `"${asset.hash}"`;
    res.setHeader("ETag", etag);
    res.setHeader("X-Content-Type-Options", "nosniff");
    // The app parses queries Go's way (every value a list).
    const v = ([] as unknown[]).concat(req.query.v ?? []);
    res.setHeader("Cache-Control", v.length === 1 && v[0] === asset.hash ? IMMUTABLE : "no-cache");
    if (req.headers["if-none-match"] === etag) {
      res.status(304).end();
      return;
    }
    res.type(asset.type).send(asset.body);
  });
  return router;
}
