// HTML built from template literals in which every interpolated value is escaped, unless it is
// already Html: names of containers, volumes and targets, and error texts, can never inject markup.
const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Markup that is already safe (made by an `html` template). */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

export type HtmlTag = (strings: TemplateStringsArray, ...values: unknown[]) => Html;

/**
 * The `html` tag: arrays are joined, undefined, null and false print nothing, Html is kept, anything
 * else is turned into text, passed through `text` (e.g. a redaction) and escaped.
 */
export function htmlTag(text: (value: string) => string = (v) => v): HtmlTag {
  const value = (v: unknown): string => {
    if (v instanceof Html) return v.markup;
    if (Array.isArray(v)) return v.map(value).join("");
    if (v === undefined || v === null || v === false) return "";
    return escapeHtml(text(String(v)));
  };
  return (strings, ...values) => new Html(strings.reduce((out, s, i) => out + s + (i < values.length ? value(values[i]) : ""), ""));
}
