/** Enforces the dependency direction of DESIGN.md §3. */
module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    { name: "types-import-nothing", severity: "error", from: { path: "^src/types/" }, to: { path: "^src/(?!types/)" } },
    { name: "types-no-packages", severity: "error", from: { path: "^src/types/" }, to: { dependencyTypes: ["npm", "npm-dev"] } },
    { name: "nothing-imports-api", severity: "error", from: { path: "^src/(?!api/|app\\.ts)" }, to: { path: "^src/api/" } },
    // The database drivers: SQLite's, and PostgreSQL's (pg and its pg-* parts, e.g. pg-pool).
    { name: "only-store-touches-databases", severity: "error", from: { path: "^src/(?!store/)" }, to: { path: "better-sqlite3|node_modules/pg/|node_modules/pg-" } },
    { name: "channels-stay-apart", severity: "error", from: { path: "^src/notify/([^/]+)/" }, to: { path: "^src/(api|dispatch|store)/|^src/notify/(?!$1/)[^/]+/" } },
    { name: "only-app-imports-everything", severity: "error", from: { path: "^src/(?!app\\.ts|main\\.ts)" }, to: { path: "^src/app\\.ts$" } },
    { name: "no-test-code-in-src", severity: "error", from: { path: "^src/", pathNot: "\\.test\\.ts$" }, to: { path: "^test/|\\.test\\.ts$" } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "\\.test\\.ts$" },
  },
};
