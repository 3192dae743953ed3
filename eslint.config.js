import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", "data/**", ".tmp*/**", "*.cjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", setImmediate: "readonly", URL: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": ["error", { allow: ["error"] }],
    },
  },
  { files: ["scripts/**", "bench/**", "test/**"], rules: { "no-console": "off" } },
  {
    // The web page's scripts run in the browser.
    files: ["src/ui/static/**/*.js"],
    languageOptions: {
      globals: Object.fromEntries([
        "window", "document", "fetch", "sessionStorage", "localStorage", "history", "location", "navigator", "Intl", "URLSearchParams",
        "HTMLElement", "HTMLDialogElement", "HTMLTextAreaElement", "HTMLButtonElement", "HTMLInputElement", "HTMLSelectElement",
        "HTMLFormElement", "HTMLAnchorElement", "Node", "Element", "Event", "KeyboardEvent", "MouseEvent", "SubmitEvent", "FormData",
        "SVGElement", "SVGSVGElement", "DocumentFragment", "AbortController", "CustomEvent", "requestAnimationFrame", "queueMicrotask",
      ].map((name) => [name, "readonly"])),
    },
  },
);
