// Renders an Adaptive Card template (top-level cards/ folder) with adaptivecards-templating.
// Templates are trusted (ours); data is not. Expansion only evaluates expressions written in the
// template, so `${...}` inside incident text stays literal text; markdown in text is neutralised by
// the view-model builders before it gets here (see escape.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ACData from 'adaptivecards-templating';

const CARDS_DIR = fileURLToPath(new URL('../../cards/', import.meta.url));
const templates = new Map<string, object>();

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

/** Expands template `name` with `data` as `$root`. */
export function renderTemplate(name: string, data: object): AdaptiveCard {
  const template = new ACData.Template(loadTemplate(name));
  return template.expand({ $root: data }) as AdaptiveCard;
}
