// The web page's HTTP side: the shell under <prefix>/ui/, hashed assets cached for good, revalidation,
// headers, and the route prefix. What the page does in a browser is in test/browser/.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { startFakeClockApp } from "./fake-clock-app.ts";

const routing = () => "route:\n  receiver: default\nreceivers:\n  - name: default\n";

async function app(t: TestContext, flags: Record<string, string> = {}) {
  const h = await startFakeClockApp<never>({ routing, flags });
  t.after(() => h.close());
  return h;
}

test("the shell names every asset with its content hash; assets with the current hash are immutable", async (t) => {
  const h = await app(t);
  const redirect = await fetch(`${h.base}/ui`, { redirect: "manual" });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get("location"), "ui/", "relative, so a proxy path in front is kept");
  const index = await h.call("GET", "/ui/");
  assert.equal(index.status, 200);
  assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
  assert.equal(index.headers.get("cache-control"), "no-cache");
  assert.match(index.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  const refs = [...index.text.matchAll(/(?:href|src)="(static\/[^"?]+)\?v=([0-9a-f]{12})"/g)];
  assert.deepEqual(refs.map((m) => m[1]).sort(), ["static/app.js", "static/style-charts.css", "static/style-now.css", "static/style.css"]);
  assert.match(index.text, /<script type="application\/json" id="settings">\{"routePrefix":"","version":"[^"]+"\}<\/script>/);

  const [, path, hash] = refs.find((m) => m[1] === "static/app.js")!;
  const js = await fetch(`${h.base}/ui/${path}?v=${hash}`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type") ?? "", /^text\/javascript/);
  assert.equal(js.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal(js.headers.get("etag"), `"${hash}"`);
  const stale = await fetch(`${h.base}/ui/${path}?v=000000000000`);
  assert.equal(stale.headers.get("cache-control"), "no-cache", "an old hash is not cached for good");
  const revalidated = await fetch(`${h.base}/ui/${path}`, { headers: { "if-none-match": `"${hash}"` } });
  assert.equal(revalidated.status, 304);
  // Modules the shell loads on demand are served too, and nothing outside the static directory is.
  assert.equal((await fetch(`${h.base}/ui/static/api.js`)).status, 200);
  assert.equal((await fetch(`${h.base}/ui/static/index.html`)).status, 404);
  assert.equal((await fetch(`${h.base}/ui/static/..%2Fassets.ts`)).status, 404);
  assert.equal((await fetch(`${h.base}/ui/static/nope.js`)).status, 404);
});

test("under --web.route-prefix the page and its APIs live below the prefix", async (t) => {
  const h = await app(t, { "web.route-prefix": "/alerting" });
  const index = await h.call("GET", "/alerting/ui/");
  assert.equal(index.status, 200);
  assert.match(index.text, /"routePrefix":"\/alerting"/);
  assert.equal((await h.call("GET", "/ui/")).status, 404);
  const followed = await fetch(`${h.base}/alerting/ui`);
  assert.equal(new URL(followed.url).pathname, "/alerting/ui/");
});
