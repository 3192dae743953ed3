import { inspect } from "node:util";

/**
 * A secret that cannot leak by accident: printing, logging or JSON-encoding it shows `<secret>`; only
 * `reveal()` gives the value, and only the code building a request calls it.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "<secret>";
  }
  toJSON(): string {
    return "<secret>";
  }
  [inspect.custom](): string {
    return "<secret>";
  }
}
