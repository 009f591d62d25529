// Structural checks of a rendered Adaptive Card: the essentials of the Adaptive Card 1.5 schema
// that matter for Teams, plus the bridge's own safety invariants. No full schema ships offline
// (the adaptivecards package here is 1.2), so this checks what a broken template or a data bug
// would break. Used by tests for every rendered card; cheap enough to run before each send.
import { isCardVerb, WAR_ROOM_VERB } from './verbs.ts';

export interface CardProblem {
  path: string;
  message: string;
}

/** Teams renders Adaptive Cards up to 1.5 (Microsoft Learn, "Cards reference"). */
const SUPPORTED_VERSIONS = new Set(['1.0', '1.1', '1.2', '1.3', '1.4', '1.5']);

const ELEMENT_TYPES = new Set([
  'TextBlock', 'Image', 'Media', 'RichTextBlock', 'Container', 'ColumnSet', 'FactSet', 'ImageSet', 'ActionSet', 'Table',
  'Input.Text', 'Input.Number', 'Input.Date', 'Input.Time', 'Input.Toggle', 'Input.ChoiceSet',
]);
const ACTION_TYPES = new Set(['Action.Execute', 'Action.OpenUrl', 'Action.ShowCard', 'Action.ToggleVisibility', 'Action.Submit']);

/**
 * Text that must never appear in a rendered card: an unexpanded or injected template expression,
 * a client-side date function, or a Teams mention tag. Our templates use none of these in output,
 * so any occurrence means untrusted text got through unescaped or a binding failed.
 */
const FORBIDDEN_TEXT: readonly [RegExp, string][] = [
  [/\$\{/, 'contains "${" (an unexpanded or injected template expression)'],
  [/\{\{/, 'contains "{{" (a client-side text function)'],
  [/<at>/i, 'contains "<at>" (a mention)'],
  [/[\u202A-\u202E\u2066-\u2069]/, 'contains a bidi control character'],
];

export function validateCard(card: unknown): CardProblem[] {
  const problems: CardProblem[] = [];
  checkCard(card, '$', problems, true);
  return problems;
}

/** Throws with every problem listed; for tests and for a last check before sending. */
export function assertValidCard(card: unknown): void {
  const problems = validateCard(card);
  if (problems.length > 0) {
    throw new Error(`invalid Adaptive Card:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
}

function checkCard(card: unknown, path: string, problems: CardProblem[], topLevel: boolean): void {
  if (!isObject(card)) return void problems.push({ path, message: 'card is not an object' });
  if (card['type'] !== 'AdaptiveCard') problems.push({ path: `${path}.type`, message: "must be 'AdaptiveCard'" });
  if (topLevel) {
    if (typeof card['version'] !== 'string' || !SUPPORTED_VERSIONS.has(card['version'])) {
      problems.push({ path: `${path}.version`, message: `must be one of ${[...SUPPORTED_VERSIONS].join(', ')}` });
    }
  }
  if (!Array.isArray(card['body'])) problems.push({ path: `${path}.body`, message: 'must be an array' });
  else card['body'].forEach((element, i) => checkElement(element, `${path}.body[${i}]`, problems));
  if (card['actions'] !== undefined) checkActions(card['actions'], `${path}.actions`, problems);
  if (card['refresh'] !== undefined) {
    const refresh = card['refresh'];
    if (!isObject(refresh)) problems.push({ path: `${path}.refresh`, message: 'must be an object' });
    else {
      checkAction(refresh['action'], `${path}.refresh.action`, problems);
      if (isObject(refresh['action']) && refresh['action']['type'] !== 'Action.Execute') {
        problems.push({ path: `${path}.refresh.action.type`, message: 'must be Action.Execute' });
      }
      const userIds = refresh['userIds'];
      if (userIds !== undefined && (!Array.isArray(userIds) || userIds.length > 60 || !userIds.every((id) => typeof id === 'string'))) {
        problems.push({ path: `${path}.refresh.userIds`, message: 'must be an array of at most 60 strings' });
      }
    }
  }
  if (topLevel) {
    checkStrings(card, path, problems);
    checkInputIds(card, problems);
    checkToggleTargets(card, problems);
  }
}

function checkElement(element: unknown, path: string, problems: CardProblem[]): void {
  if (!isObject(element)) return void problems.push({ path, message: 'element is not an object' });
  const type = element['type'];
  if (typeof type !== 'string' || !ELEMENT_TYPES.has(type)) {
    return void problems.push({ path: `${path}.type`, message: `unknown element type ${JSON.stringify(type)}` });
  }
  switch (type) {
    case 'TextBlock':
      if (typeof element['text'] !== 'string') problems.push({ path: `${path}.text`, message: 'must be a string' });
      break;
    case 'Container':
      arrayOf(element['items'], `${path}.items`, problems).forEach((item, i) => checkElement(item, `${path}.items[${i}]`, problems));
      break;
    case 'ColumnSet':
      arrayOf(element['columns'], `${path}.columns`, problems).forEach((column, i) => {
        if (!isObject(column) || column['type'] !== 'Column') return void problems.push({ path: `${path}.columns[${i}]`, message: 'must be a Column' });
        arrayOf(column['items'], `${path}.columns[${i}].items`, problems).forEach((item, j) =>
          checkElement(item, `${path}.columns[${i}].items[${j}]`, problems),
        );
      });
      break;
    case 'FactSet':
      arrayOf(element['facts'], `${path}.facts`, problems).forEach((fact, i) => {
        if (!isObject(fact) || typeof fact['title'] !== 'string' || typeof fact['value'] !== 'string') {
          problems.push({ path: `${path}.facts[${i}]`, message: 'must have string title and value' });
        }
      });
      break;
    case 'ActionSet':
      checkActions(element['actions'], `${path}.actions`, problems);
      break;
    case 'Input.ChoiceSet':
      requireId(element, path, problems);
      arrayOf(element['choices'], `${path}.choices`, problems).forEach((choice, i) => {
        if (!isObject(choice) || typeof choice['title'] !== 'string' || typeof choice['value'] !== 'string') {
          problems.push({ path: `${path}.choices[${i}]`, message: 'must have string title and value' });
        }
      });
      break;
    default:
      if (type.startsWith('Input.')) requireId(element, path, problems);
  }
}

function checkActions(actions: unknown, path: string, problems: CardProblem[]): void {
  const list = arrayOf(actions, path, problems);
  // Teams shows up to 6 primary actions per card or ActionSet (MicrosoftDocs/bot-docs#2161).
  if (list.length > 6) problems.push({ path, message: `has ${list.length} actions; Teams shows at most 6` });
  list.forEach((action, i) => checkAction(action, `${path}[${i}]`, problems));
}

function checkAction(action: unknown, path: string, problems: CardProblem[]): void {
  if (!isObject(action)) return void problems.push({ path, message: 'action is not an object' });
  const type = action['type'];
  if (typeof type !== 'string' || !ACTION_TYPES.has(type)) {
    return void problems.push({ path: `${path}.type`, message: `unknown action type ${JSON.stringify(type)}` });
  }
  if (type === 'Action.Execute') {
    if (typeof action['verb'] !== 'string' || action['verb'] === '') problems.push({ path: `${path}.verb`, message: 'Action.Execute needs a verb' });
    else if (!isCardVerb(action['verb']) && action['verb'] !== WAR_ROOM_VERB) problems.push({ path: `${path}.verb`, message: `unknown verb '${action['verb']}'` });
    const data = action['data'];
    if (!isObject(data) || typeof data['linkId'] !== 'string' || data['linkId'] === '') {
      problems.push({ path: `${path}.data.linkId`, message: 'every action carries the linkId' });
    }
  }
  if (type === 'Action.OpenUrl') {
    const url = action['url'];
    if (typeof url !== 'string' || !url.startsWith('https://')) problems.push({ path: `${path}.url`, message: 'must be an https URL' });
  }
  if (type === 'Action.ShowCard') checkCard(action['card'], `${path}.card`, problems, false);
}

function checkStrings(node: unknown, path: string, problems: CardProblem[]): void {
  if (typeof node === 'string') {
    for (const [pattern, message] of FORBIDDEN_TEXT) if (pattern.test(node)) problems.push({ path, message });
    return;
  }
  if (Array.isArray(node)) return node.forEach((item, i) => checkStrings(item, `${path}[${i}]`, problems));
  if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      // "$schema" is the card's own schema URL, not text.
      if (key !== '$schema') checkStrings(value, `${path}.${key}`, problems);
    }
  }
}

function checkInputIds(card: Record<string, unknown>, problems: CardProblem[]): void {
  const seen = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    if (typeof node['type'] === 'string' && node['type'].startsWith('Input.') && typeof node['id'] === 'string') {
      if (seen.has(node['id'])) problems.push({ path: `input '${node['id']}'`, message: 'input ids must be unique in a card' });
      seen.add(node['id']);
    }
    Object.values(node).forEach(visit);
  };
  visit(card);
}

/** Element ids are unique, and every Action.ToggleVisibility names elements the card has. */
function checkToggleTargets(card: Record<string, unknown>, problems: CardProblem[]): void {
  const ids = new Set<string>();
  const targets: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    const type = node['type'];
    if (typeof type === 'string' && ELEMENT_TYPES.has(type) && !type.startsWith('Input.') && typeof node['id'] === 'string') {
      if (ids.has(node['id'])) problems.push({ path: `element '${node['id']}'`, message: 'element ids must be unique in a card' });
      ids.add(node['id']);
    }
    if (type === 'Action.ToggleVisibility') {
      const elements = node['targetElements'];
      if (!Array.isArray(elements) || elements.length === 0) problems.push({ path: 'Action.ToggleVisibility', message: 'needs targetElements' });
      else for (const target of elements) targets.push(typeof target === 'string' ? target : isObject(target) && typeof target['elementId'] === 'string' ? target['elementId'] : '');
    }
    Object.values(node).forEach(visit);
  };
  visit(card);
  for (const target of targets) if (!ids.has(target)) problems.push({ path: `Action.ToggleVisibility '${target}'`, message: 'targets an element the card does not have' });
}

function requireId(element: Record<string, unknown>, path: string, problems: CardProblem[]): void {
  if (typeof element['id'] !== 'string' || element['id'] === '') problems.push({ path: `${path}.id`, message: 'inputs need an id' });
}

function arrayOf(value: unknown, path: string, problems: CardProblem[]): unknown[] {
  if (Array.isArray(value)) return value;
  problems.push({ path, message: 'must be an array' });
  return [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
