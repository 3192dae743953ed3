import { isNilArg, noFlags, Printer } from "./printer.ts";
import type { Value } from "./types.ts";

/**
 * Go's fmt entry points over template values: Sprint, Sprintln and Sprintf's format strings (flags,
 * widths, precisions, `*`, `[n]` argument indexes, and the MISSING / EXTRA / BADINDEX complaints).
 */

function doPrintf(p: Printer, format: string, args: readonly Value[]): void {
  let argNum = 0;
  let reordered = false;
  const end = format.length;
  let i = 0;
  while (i < end) {
    let goodArgNum = true;
    const lasti = i;
    while (i < end && format[i] !== "%") i++;
    if (i > lasti) p.buf += format.slice(lasti, i);
    if (i >= end) break;
    i++; // skip %
    p.f = noFlags();
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case "#": p.f.sharp = true; continue;
        case "0": p.f.zero = !p.f.minus; continue;
        case "+": p.f.plus = true; continue;
        case "-": p.f.minus = true; p.f.zero = false; continue;
        case " ": p.f.space = true; continue;
      }
      break flags;
    }
    // Argument index, width, precision: each may be "[n]" then a number or "*".
    let afterIndex = false;
    const argIndex = (): void => {
      // "[n]" selects operand n (1-based); a bad one spoils the verb (BADINDEX) but is still skipped.
      if (format[i] !== "[") {
        afterIndex = false;
        return;
      }
      reordered = true;
      let index = -1;
      let width = 1;
      let ok = false;
      if (end - i >= 3) {
        const close = format.indexOf("]", i + 1);
        if (close >= 0) {
          width = close + 1 - i;
          const digits = format.slice(i + 1, close);
          if (/^[0-9]{1,7}$/.test(digits)) {
            index = Number(digits) - 1;
            ok = true;
          }
        }
      }
      i += width;
      afterIndex = ok;
      if (ok && index >= 0 && index < args.length) argNum = index;
      else goodArgNum = false;
    };
    const intFromArg = (): [number, boolean] => {
      let n = 0;
      let ok = false;
      const a = args[argNum];
      if (a !== undefined) {
        if ((a.kind === "int" || a.kind === "uint") && a.v >= -(2n ** 63n) && a.v < 2n ** 63n) {
          n = Number(a.v);
          ok = true;
        }
        argNum++;
        if (n > 1e6 || n < -1e6) [n, ok] = [0, false];
      }
      return [n, ok];
    };
    const parseNum = (): [number, boolean] => {
      let n = 0;
      let ok = false;
      while (i < end && (format[i] as string) >= "0" && (format[i] as string) <= "9") {
        if (n > 1e6) {
          // An absurdly long number: Go gives up on the rest of the format.
          i = end;
          return [0, false];
        }
        n = n * 10 + Number(format[i]);
        ok = true;
        i++;
      }
      return [n, ok];
    };
    argIndex();
    if (format[i] === "*") {
      i++;
      [p.f.wid, p.f.widPresent] = intFromArg();
      if (!p.f.widPresent) p.buf += "%!(BADWIDTH)";
      if (p.f.wid < 0) {
        p.f.wid = -p.f.wid;
        p.f.minus = true;
        p.f.zero = false;
      }
      afterIndex = false;
    } else {
      [p.f.wid, p.f.widPresent] = parseNum();
      if (afterIndex && p.f.widPresent) goodArgNum = false;
    }
    if (i + 1 < end && format[i] === ".") {
      i++;
      if (afterIndex) goodArgNum = false;
      argIndex();
      if (format[i] === "*") {
        i++;
        [p.f.prec, p.f.precPresent] = intFromArg();
        if (p.f.prec < 0) {
          p.f.prec = 0;
          p.f.precPresent = false;
        }
        if (!p.f.precPresent) p.buf += "%!(BADPREC)";
        afterIndex = false;
      } else {
        [p.f.prec, p.f.precPresent] = parseNum();
        if (!p.f.precPresent) {
          p.f.prec = 0;
          p.f.precPresent = true;
        }
      }
    }
    if (!afterIndex) argIndex();
    if (i >= end) {
      p.buf += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === "%") {
      p.buf += "%";
      continue;
    }
    if (!goodArgNum) {
      p.buf += `%!${verb}(BADINDEX)`;
      continue;
    }
    const arg = args[argNum];
    if (arg === undefined) {
      p.buf += `%!${verb}(MISSING)`;
      continue;
    }
    if (verb === "v") {
      p.f.sharpV = p.f.sharp;
      p.f.sharp = false;
      p.f.plusV = p.f.plus;
      p.f.plus = false;
    }
    p.printArg(arg, verb);
    argNum++;
  }
  if (!reordered && argNum < args.length) {
    p.f = noFlags();
    p.buf += "%!(EXTRA ";
    args.slice(argNum).forEach((a, k) => {
      if (k > 0) p.buf += ", ";
      if (isNilArg(a)) p.buf += "<nil>";
      else {
        p.buf += `${a.type.name}=`;
        p.printArg(a, "v");
      }
    });
    p.buf += ")";
  }
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly Value[]): string {
  const p = new Printer();
  let prevString = false;
  args.forEach((a, i) => {
    const isString = a.kind === "string";
    if (i > 0 && !isString && !prevString) p.buf += " ";
    p.printArg(a, "v");
    prevString = isString;
  });
  return p.buf;
}

/** fmt.Sprintln: spaces between all operands and a final newline. */
export function sprintln(args: readonly Value[]): string {
  const p = new Printer();
  args.forEach((a, i) => {
    if (i > 0) p.buf += " ";
    p.printArg(a, "v");
  });
  return p.buf + "\n";
}

export function sprintf(format: string, args: readonly Value[]): string {
  const p = new Printer();
  doPrintf(p, format, args);
  return p.buf;
}

/** fmt's %v of one value, as used in error messages ("range can't iterate over %v"). */
export function formatV(v: Value): string {
  return sprint([v]);
}

/** fmt's %s of one value, as eq's complaints print reflect.Values. */
export function formatS(v: Value): string {
  return sprintf("%s", [v]);
}
