// Renders an Adaptive Card template (top-level cards/ folder) with adaptivecards-templating.
// Templates are trusted (ours); data is not. Expansion only evaluates expressions written in the
// template, so `${...}` inside incident text stays literal text; markdown in text is neutralised by
// the view-model builders before it gets here (see escape.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ACData from 'adaptivecards-templating';

const CARDS_DIR = fileURLToPath(new URL('../../cards/', import.meta.url));
const templates = new Map<string, object>();
const prepared = new Map<string, ACData.Template>();

/** Loads cards/<name>.json once per process. */
export function loadTemplate(name: string): object {
  let template = templates.get(name);
  if (!template) {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`invalid card template name '${name}'`);
    template = JSON.parse(readFileSync(`${CARDS_DIR}${name}.json`, 'utf8')) as object;
    templates.set(name, template);
  }
  return template;
}

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  version: string;
  body?: unknown[];
  actions?: unknown[];
  [key: string]: unknown;
}

/**
 * Expands template `name` with `data` as `$root`. A Template parses every expression of the
 * template when it is constructed (Adaptive Expressions' ANTLR parser: most of a render's time), and
 * can then be expanded with any data: so one per template, for the process. expand() is synchronous
 * and leaves the parsed template as it was, so concurrent turns share it safely.
 */
export function renderTemplate(name: string, data: object): AdaptiveCard {
  let template = prepared.get(name);
  if (!template) {
    template = new ACData.Template(loadTemplate(name));
    prepared.set(name, template);
  }
  return template.expand({ $root: data }) as AdaptiveCard;
}
