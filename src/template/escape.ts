import { isPrint } from "./unicode.ts";

/** The escapers behind text/template's html, js and urlquery builtins (Go's HTMLEscapeString etc.). */

/** template.HTMLEscapeString: the five HTML specials, and NUL as U+FFFD. */
export function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => {
    switch (c) {
      case "<": return "&lt;";
      case ">": return "&gt;";
      case "&": return "&amp;";
      case "'": return "&#39;";
      case '"': return "&#34;";
    }
    return "\ufffd";
  });
}

/** template.JSEscapeString: quotes, backslash, <>&= and control characters as \uXXXX; printable Unicode kept. */
export function jsEscape(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    switch (ch) {
      case "\\": out += "\\\\"; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case "<": out += "\\u003C"; continue;
      case ">": out += "\\u003E"; continue;
      case "&": out += "\\u0026"; continue;
      case "=": out += "\\u003D"; continue;
    }
    if (cp < 0x20) out += `\\u00${cp.toString(16).toUpperCase().padStart(2, "0")}`;
    else if (cp < 0x80 || isPrint(cp)) out += ch;
    else out += `\\u${(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp).toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return out;
}

/** url.QueryEscape: unreserved bytes kept, space as '+', everything else %XX of its UTF-8 bytes. */
export function queryEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === " ") out += "+";
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
