// `npm run build` step: tsc compiles src/ into dist/src/ but copies no other files; the web page's
// static files must sit next to the compiled src/ui/assets.js, which reads them from ./static/.
import { cpSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "src", "ui", "static");
const to = join(root, "dist", "src", "ui", "static");
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith("tsconfig.json") });
console.log(`copied ${from} -> ${to}`);
