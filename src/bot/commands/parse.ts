// Parses the text of a chat message into a command. Pure: no I/O, no Teams types.
//
// The text arrives with the bot's @mention already removed (channels need one, chats do not).
// Commands start with "/"; the bare command word is accepted too ("help", "list severity>=high"),
// because some Teams clients eat a leading "/" as their own command prefix.
// Every refusal carries a one-line reason and the usage line, so the reply can say what to type.
import {
  CLASSIFICATIONS,
  SEVERITIES,
  STATUSES,
  type Classification,
  type Severity,
  type Status,
} from '../../domain/incident.ts';
import { commentProblem, MAX_COMMENT_CHARS, tagCountProblem, tagProblem } from '../../domain/edit-input.ts';
import { MAX_WAR_ROOM_PEOPLE_NAMED } from '../../domain/war-room.ts';
import { parseWholeNumber, typedTextProblem } from '../../domain/untrusted-input.ts';
import { parseDuration, type DeadlineSeverity } from '../../domain/triage.ts';
import type { IncidentListFilter } from '../../sync/api.ts';
import type { SubscriptionFilters } from '../../store/ports.ts';

export const COMMAND_NAMES = [
  'help',
  'incident',
  'list',
  'severity',
  'tag',
  'comment',
  'assign',
  'status',
  'subscribe',
  'unsubscribe',
  'subscriptions',
  'ack',
  'escalation',
  'digest',
  'warroom',
] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/** /connector is parsed by its own route (routes/connector.ts); /help lists it with the rest. */
export const CONNECTOR_USAGE = '/connector status|request|approvers|history [n] [tenant=<pair>]';

export const COMMAND_USAGE: Record<CommandName, string> = {
  help: '/help',
  incident: '/incident <id>',
  list: '/list [severity>=high] [status=active] [tag=x] [product=endpoint] [tenant=<pair>] [limit=10]',
  severity: '/severity <id> <informational|low|medium|high>',
  tag: '/tag <id> +tag -tag',
  comment: '/comment <id> <text>',
  assign: '/assign <id> <me|user@domain|none>',
  status: '/status <id> <active|in-progress|resolved> [true-positive|false-positive|benign-positive|undetermined]',
  subscribe: '/subscribe [minSeverity=high] [product=endpoint] [tag=x] [tenant=<pair>] [status=active]',
  unsubscribe: '/unsubscribe [<subscription id>|all]',
  subscriptions: '/subscriptions',
  ack: '/ack <id>',
  escalation: '/escalation [high=15m medium=4h ...] to <upn>[,<upn>...] | off',
  digest: '/digest [daily HH:MM [time zone] | off]',
  warroom: '/warroom <id> [user@domain ...]',
};

/** What the analyst asked to assign the incident to. */
export type AssignTarget = { kind: 'me' } | { kind: 'user'; upn: string } | { kind: 'nobody' };

export type Command =
  | { name: 'help' }
  | { name: 'incident'; ref: string }
  | { name: 'list'; filter: IncidentListFilter }
  | { name: 'severity'; ref: string; severity: Exclude<Severity, 'unknown'> }
  | { name: 'tag'; ref: string; add: string[]; remove: string[] }
  | { name: 'comment'; ref: string; text: string }
  | { name: 'assign'; ref: string; target: AssignTarget }
  | { name: 'status'; ref: string; status: 'active' | 'inProgress' | 'resolved'; classification?: Classification }
  | { name: 'subscribe'; filters: SubscriptionFilters }
  | { name: 'unsubscribe'; target: { kind: 'ask' } | { kind: 'all' } | { kind: 'id'; id: string } }
  | { name: 'subscriptions' }
  | { name: 'ack'; ref: string }
  | { name: 'escalation'; action: EscalationAction }
  | { name: 'digest'; action: DigestAction }
  | { name: 'warroom'; ref: string; people: string[] };

/** `/escalation` alone shows the settings; `off` clears them; otherwise deadlines per severity and who to escalate to. */
export type EscalationAction =
  | { kind: 'show' }
  | { kind: 'off' }
  | { kind: 'set'; deadlines: Partial<Record<DeadlineSeverity, number>>; contacts: string[] };

/** `/digest` alone posts one now. */
export type DigestAction = { kind: 'now' } | { kind: 'off' } | { kind: 'daily'; time: string; timeZone: string };

export type ParseResult =
  | { kind: 'command'; command: Command }
  /** A known command with bad arguments. */
  | { kind: 'invalid'; name: CommandName; reason: string; usage: string }
  /** Looks like a command ("/foo") but is not one of ours. */
  | { kind: 'unknown'; name: string }
  /** Free text: not addressed to a command at all. */
  | { kind: 'text' };

// Limits. Bounded input keeps replies, logs and portal writes bounded too. What an edit may
// carry (comment and tag lengths, tags per edit) is domain/edit-input.ts's, shared with the card.
/**
 * Longest message we parse: the longest command, /comment with an id and the longest comment an
 * analyst may write, so an over-long comment is refused for what it is, as the card refuses it.
 */
export const MAX_COMMAND_TEXT = MAX_COMMENT_CHARS + 200;
/** Longest incident reference: Graph ids are digits, Sentinel names GUIDs, link ids UUIDs. */
const MAX_REF_LENGTH = 100;
/** UPNs are at most 113 characters in Entra (64 + "@" + 48); allow a little slack for guests. */
const MAX_UPN_LENGTH = 256;
/**
 * The most rows /list shows: what one list card holds (about 650 bytes a row) within Teams' ~28 KB
 * message limit, with room to spare for long titles (src/cards/incident-list.ts).
 */
export const MAX_LIST_LIMIT = 25;
const MAX_FILTER_VALUE = 128;

const REF_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const UPN_PATTERN = /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/;
const SUBSCRIPTION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const PAIR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9.-]{0,99}$/;

class Refusal extends Error {}

function refuse(reason: string): never {
  throw new Refusal(reason);
}

/** Lower-case and drop separators, so "In-Progress", "in_progress" and "inprogress" compare equal. */
function fold(word: string): string {
  return word.toLowerCase().replace(/[-_\s]/g, '');
}

/**
 * Splits on whitespace; double quotes group words ("needs review"). An unbalanced quote is refused
 * rather than guessed at.
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inQuotes = false;
  let started = false;
  for (const ch of text) {
    if (ch === '"') {
      inQuotes = !inQuotes;
      started = true;
    } else if (!inQuotes && /\s/.test(ch)) {
      if (started) tokens.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (inQuotes) refuse('a double quote is not closed');
  if (started) tokens.push(current);
  return tokens;
}

/** Single-line text (filter values, names): refused with what is wrong with it; `what` is e.g. 'the user name'. */
function refuseUnsafeLine(what: string, value: string): void {
  const problem = typedTextProblem(value, 'line');
  if (problem) refuse(`${what} contains ${problem}`);
}

/** Whether `/incident <text>` names an incident by `text` (a Defender id, Sentinel number or name, or link id). */
export function isIncidentRef(text: string): boolean {
  return text.length > 0 && text.length <= MAX_REF_LENGTH && REF_PATTERN.test(text);
}

export function parseRef(token: string | undefined): string {
  if (token === undefined) refuse('the incident id is missing');
  const ref = token.startsWith('#') ? token.slice(1) : token;
  if (!isIncidentRef(ref)) {
    refuse(`'${shorten(token)}' is not an incident id (a Defender id like 29, a Sentinel number like 1042, or a GUID)`);
  }
  return ref;
}

export function parseSeverity(word: string): Exclude<Severity, 'unknown'> {
  const folded = fold(word);
  const severity = SEVERITIES.find((s) => s === folded);
  if (!severity) refuse(`'${shorten(word)}' is not a severity; use one of ${SEVERITIES.join(', ')}`);
  return severity;
}

// Maps, not object literals: a lookup must never answer with an Object.prototype member ("constructor").
const STATUS_WORDS: ReadonlyMap<string, Status> = new Map(STATUSES.map((s) => [fold(s), s]));

/** How a status is typed in a command ("in-progress"): what a filter description echoes back. */
export function statusCommandWord(status: Status): string {
  return status.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

export function parseStatus(word: string): Status {
  const status = STATUS_WORDS.get(fold(word));
  if (!status) refuse(`'${shorten(word)}' is not a status; use one of new, active, in-progress, awaiting-action, resolved`);
  return status;
}

const CLASSIFICATION_WORDS: ReadonlyMap<string, Classification> = new Map([
  ...CLASSIFICATIONS.map((c) => [fold(c), c] as const),
  ['tp', 'truePositive'],
  ['fp', 'falsePositive'],
  ['bp', 'benignPositive'],
]);

export function parseClassification(word: string): Classification {
  const classification = CLASSIFICATION_WORDS.get(fold(word));
  if (!classification) {
    refuse(`'${shorten(word)}' is not a classification; use true-positive, false-positive, benign-positive or undetermined`);
  }
  return classification;
}

/** The tag, trimmed; refused (domain/edit-input.ts's rule) when no portal should get it. */
export function validateTag(tag: string): string {
  const problem = tagProblem(tag);
  if (problem) refuse(problem);
  return tag.trim();
}

/** Refuses more tag changes than one edit may carry. */
export function refuseTooManyTags(changes: number): void {
  const problem = tagCountProblem(changes);
  if (problem) refuse(problem);
}

function shorten(value: string, max = 40): string {
  const oneLine = value.replace(/[\u0000-\u001F\u007F-\u009F]/g, ' ');
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}

/** Splits "key>=value" / "key=value"; values may be comma lists. */
function splitFilter(token: string): { key: string; op: '=' | '>='; values: string[] } {
  const match = /^([A-Za-z]+)(>=|=)(.*)$/s.exec(token);
  if (!match) refuse(`'${shorten(token)}' is not a filter; write key=value, e.g. tag=phishing`);
  const [, key = '', op = '=', raw = ''] = match;
  const values = raw
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
  if (values.length === 0) refuse(`the filter '${shorten(key)}' has no value`);
  for (const value of values) {
    if (value.length > MAX_FILTER_VALUE) refuse(`a value of '${key}' is longer than ${MAX_FILTER_VALUE} characters`);
    refuseUnsafeLine(`a value of '${shorten(key)}'`, value);
  }
  return { key: fold(key), op: op as '=' | '>=', values };
}

function single(key: string, values: string[]): string {
  if (values.length !== 1 || values[0] === undefined) refuse(`'${key}' takes one value`);
  return values[0];
}

function severityFilter(key: string, op: '=' | '>=', values: string[]): Exclude<Severity, 'unknown'> {
  // "severity=high" would read as "exactly high", which neither the list nor a subscription can
  // express; make the analyst say what they mean.
  if (key === 'severity' && op !== '>=') refuse("write severity>=<level> (e.g. severity>=high): filters match that level and above");
  if (key === 'minseverity' && op !== '=') refuse('write minSeverity=<level>');
  return parseSeverity(single(key, values));
}

function pairValue(value: string): string {
  if (!PAIR_PATTERN.test(value)) refuse(`'${shorten(value)}' is not a tenant pair id`);
  return value;
}

function parseListFilter(tokens: string[]): IncidentListFilter {
  const filter: IncidentListFilter = {};
  for (const token of tokens) {
    const { key, op, values } = splitFilter(token);
    if (key === 'severity' || key === 'minseverity') {
      filter.minSeverity = severityFilter(key, op, values);
      continue;
    }
    if (op !== '=') refuse(`'${key}' takes '=', not '>='`);
    switch (key) {
      case 'status':
        filter.status = parseStatus(single(key, values));
        break;
      case 'tag':
        filter.tag = validateTag(single(key, values));
        break;
      case 'product':
        filter.productName = single(key, values);
        break;
      case 'tenant':
        filter.pairId = pairValue(single(key, values));
        break;
      case 'limit': {
        const limit = parseWholeNumber(single(key, values), 1, MAX_LIST_LIMIT);
        if (limit === null) refuse(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
        filter.limit = limit;
        break;
      }
      default:
        refuse(`unknown filter '${shorten(key)}'; use severity>=, status=, tag=, product=, tenant= or limit=`);
    }
  }
  return filter;
}

function parseSubscriptionFilters(tokens: string[]): SubscriptionFilters {
  const filters: SubscriptionFilters = {};
  const addAll = <T>(existing: T[] | undefined, more: T[]): T[] => [...new Set([...(existing ?? []), ...more])];
  for (const token of tokens) {
    const { key, op, values } = splitFilter(token);
    if (key === 'severity' || key === 'minseverity') {
      filters.minSeverity = severityFilter(key, op, values);
      continue;
    }
    if (op !== '=') refuse(`'${key}' takes '=', not '>='`);
    switch (key) {
      case 'product':
        filters.products = addAll(filters.products, values);
        break;
      case 'tag':
        filters.tags = addAll(filters.tags, values.map(validateTag));
        break;
      case 'tenant':
        filters.pairIds = addAll(filters.pairIds, values.map(pairValue));
        break;
      case 'status':
        filters.statuses = addAll(filters.statuses, values.map(parseStatus));
        break;
      default:
        refuse(`unknown filter '${shorten(key)}'; use minSeverity=, product=, tag=, tenant= or status=`);
    }
  }
  return filters;
}

function parseTagEdits(tokens: string[]): { add: string[]; remove: string[] } {
  if (tokens.length === 0) refuse('say which tags to add (+tag) or remove (-tag)');
  refuseTooManyTags(tokens.length);
  const add = new Set<string>();
  const remove = new Set<string>();
  for (const token of tokens) {
    const sign = token[0];
    if (sign !== '+' && sign !== '-') refuse(`'${shorten(token)}' has no sign; write +${shorten(token)} to add it or -${shorten(token)} to remove it`);
    const tag = validateTag(token.slice(1));
    (sign === '+' ? add : remove).add(tag);
  }
  const both = [...add].filter((tag) => remove.has(tag));
  if (both.length > 0) refuse(`'${shorten(both[0] ?? '')}' is both added and removed`);
  return { add: [...add], remove: [...remove] };
}

function parseAssignTarget(token: string | undefined): AssignTarget {
  if (token === undefined) refuse('say who to assign: me, a user@domain, or none');
  const folded = token.toLowerCase();
  if (folded === 'me') return { kind: 'me' };
  if (folded === 'none' || folded === 'nobody' || folded === 'unassign') return { kind: 'nobody' };
  return { kind: 'user', upn: parseUpn(token) };
}

/** A sign-in name as typed (a UPN like alex@contoso.com); refused with why otherwise. */
function parseUpn(token: string): string {
  refuseUnsafeLine('the user name', token);
  if (token.length > MAX_UPN_LENGTH || !UPN_PATTERN.test(token)) refuse(`'${shorten(token)}' is not a user principal name like alex@contoso.com`);
  return token;
}

/**
 * The people to add to a war room, as typed after `/warroom <id>` or in the card's box: sign-in
 * names separated by spaces, commas or semicolons, each once (case-insensitively), at most
 * MAX_WAR_ROOM_PEOPLE_NAMED.
 */
export function parseWarRoomPeople(text: string): string[] {
  const tokens = text.split(/[\s,;]+/).filter((token) => token.length > 0);
  if (tokens.length > MAX_WAR_ROOM_PEOPLE_NAMED) refuse(`name at most ${MAX_WAR_ROOM_PEOPLE_NAMED} people at a time; add more in Teams once the chat is open`);
  const people = new Map<string, string>();
  for (const token of tokens) {
    const upn = parseUpn(token);
    if (!people.has(upn.toLowerCase())) people.set(upn.toLowerCase(), upn);
  }
  return [...people.values()];
}

function parseStatusArgs(tokens: string[]): { status: 'active' | 'inProgress' | 'resolved'; classification?: Classification } {
  const [statusWord, classificationWord, ...extra] = tokens;
  if (statusWord === undefined) refuse('say which status: active, in-progress or resolved');
  if (extra.length > 0) refuse('too many words');
  const status = parseStatus(statusWord);
  if (status !== 'active' && status !== 'inProgress' && status !== 'resolved') {
    refuse(`'${shorten(statusWord)}' cannot be set from Teams; use active, in-progress or resolved`);
  }
  if (status !== 'resolved') {
    if (classificationWord !== undefined) refuse('a classification goes with resolved only');
    return { status };
  }
  // Sentinel refuses to close an incident without a classification, so ask for it here rather
  // than have the Sentinel write fail later.
  if (classificationWord === undefined) refuse('resolving needs a classification: true-positive, false-positive, benign-positive or undetermined');
  return { status, classification: parseClassification(classificationWord) };
}

/** The most escalation contacts a conversation may name: an on-call rota, not a distribution list. */
export const MAX_ESCALATION_CONTACTS = 10;

function parseEscalation(tokens: string[]): EscalationAction {
  if (tokens.length === 0) return { kind: 'show' };
  if (tokens.length === 1 && tokens[0]?.toLowerCase() === 'off') return { kind: 'off' };
  const deadlines: Partial<Record<DeadlineSeverity, number>> = {};
  let token = tokens.shift();
  while (token !== undefined && token.toLowerCase() !== 'to') {
    const match = /^([^=]+)=(.*)$/.exec(token);
    if (!match) refuse(`'${shorten(token)}' is not a deadline; write severity=duration, e.g. high=15m`);
    const severity = parseSeverity(match[1] ?? '');
    if (deadlines[severity] !== undefined) refuse(`${severity} is given twice`);
    const seconds = parseDuration(match[2] ?? '');
    if (seconds === null) refuse(`'${shorten(match[2] ?? '')}' is not a duration; write minutes, hours or days from 1m to 30d, e.g. 15m, 4h, 2d`);
    deadlines[severity] = seconds;
    token = tokens.shift();
  }
  if (Object.keys(deadlines).length === 0) refuse('say which severities get a deadline, e.g. high=15m medium=4h');
  if (token === undefined) refuse('say who to escalate to: end with to oncall@contoso.com');
  const contacts = tokens.flatMap((word) => word.split(',')).map((word) => word.trim()).filter((word) => word.length > 0);
  if (contacts.length === 0) refuse('say who to escalate to after "to", e.g. to oncall@contoso.com');
  if (contacts.length > MAX_ESCALATION_CONTACTS) refuse(`name at most ${MAX_ESCALATION_CONTACTS} people to escalate to`);
  for (const contact of contacts) {
    refuseUnsafeLine('a name to escalate to', contact);
    if (contact.length > MAX_UPN_LENGTH || !UPN_PATTERN.test(contact)) refuse(`'${shorten(contact)}' is not a user principal name like oncall@contoso.com`);
  }
  return { kind: 'set', deadlines, contacts: [...new Map(contacts.map((upn) => [upn.toLowerCase(), upn])).values()] };
}

/** An IANA time zone name as the runtime knows it ("europe/amsterdam" -> "Europe/Amsterdam"); null for anything else. */
export function canonicalTimeZone(name: string): string | null {
  if (name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

function parseDigest(tokens: string[]): DigestAction {
  const [word, time, zone, ...extra] = tokens;
  if (word === undefined) return { kind: 'now' };
  if (word.toLowerCase() === 'off' && time === undefined) return { kind: 'off' };
  if (word.toLowerCase() !== 'daily') refuse(`'${shorten(word)}' is not a digest setting; use daily HH:MM [time zone] or off`);
  if (extra.length > 0) refuse('too many words');
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time ?? '');
  if (!match) refuse(time === undefined ? 'say at what time: daily 09:00' : `'${shorten(time)}' is not a time of day; write HH:MM from 00:00 to 23:59`);
  const timeZone = zone === undefined ? 'UTC' : canonicalTimeZone(zone);
  if (timeZone === null) refuse(`'${shorten(zone ?? '')}' is not a time zone; use an IANA name such as Europe/Amsterdam or America/New_York`);
  return { kind: 'daily', time: `${(match[1] ?? '').padStart(2, '0')}:${match[2] ?? '00'}`, timeZone };
}

function noMoreArgs(tokens: string[]): void {
  if (tokens.length > 0) refuse('too many words');
}

function parseArgs(name: CommandName, argText: string): Command {
  if (name === 'comment') {
    // The comment keeps its own spacing and quotes: only the id is a token.
    const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(argText);
    const ref = parseRef(match?.[1]);
    const text = (match?.[2] ?? '').trim();
    const problem = commentProblem(text);
    if (problem) refuse(problem);
    return { name, ref, text };
  }
  const tokens = tokenize(argText);
  switch (name) {
    case 'help':
      // "help me", "help list": whatever follows, the answer is the same.
      return { name };
    case 'subscriptions':
      noMoreArgs(tokens);
      return { name };
    case 'incident': {
      const ref = parseRef(tokens.shift());
      noMoreArgs(tokens);
      return { name, ref };
    }
    case 'list':
      return { name, filter: parseListFilter(tokens) };
    case 'severity': {
      const ref = parseRef(tokens.shift());
      const word = tokens.shift();
      if (word === undefined) refuse(`say which severity: ${SEVERITIES.join(', ')}`);
      noMoreArgs(tokens);
      return { name, ref, severity: parseSeverity(word) };
    }
    case 'tag': {
      const ref = parseRef(tokens.shift());
      return { name, ref, ...parseTagEdits(tokens) };
    }
    case 'assign': {
      const ref = parseRef(tokens.shift());
      const target = parseAssignTarget(tokens.shift());
      noMoreArgs(tokens);
      return { name, ref, target };
    }
    case 'status': {
      const ref = parseRef(tokens.shift());
      return { name, ref, ...parseStatusArgs(tokens) };
    }
    case 'subscribe':
      return { name, filters: parseSubscriptionFilters(tokens) };
    case 'ack': {
      const ref = parseRef(tokens.shift());
      noMoreArgs(tokens);
      return { name, ref };
    }
    case 'escalation':
      return { name, action: parseEscalation(tokens) };
    case 'digest':
      return { name, action: parseDigest(tokens) };
    case 'warroom': {
      const ref = parseRef(tokens.shift());
      return { name, ref, people: parseWarRoomPeople(tokens.join(' ')) };
    }
    case 'unsubscribe': {
      const word = tokens.shift();
      noMoreArgs(tokens);
      if (word === undefined) return { name, target: { kind: 'ask' } };
      if (word.toLowerCase() === 'all') return { name, target: { kind: 'all' } };
      if (!SUBSCRIPTION_ID_PATTERN.test(word)) refuse(`'${shorten(word)}' is not a subscription id; /subscriptions lists them`);
      return { name, target: { kind: 'id', id: word } };
    }
  }
}

function isCommandName(word: string): word is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(word);
}

/** Normalises what Teams delivers: non-breaking spaces, surrounding whitespace. */
export function normaliseMessageText(text: string): string {
  // Teams may leave the mention markup when the mention entity is missing or names another bot
  // user id; a leading "<at>…</at>" is never part of a command.
  return text
    .replace(/\u00A0|&nbsp;/g, ' ')
    .trim()
    .replace(/^(<at>[^<]{0,200}<\/at>\s*)+/i, '')
    .trim();
}

export function parseCommand(rawText: string | undefined): ParseResult {
  if (typeof rawText !== 'string') return { kind: 'text' };
  const text = normaliseMessageText(rawText);
  if (text.length === 0) return { kind: 'text' };
  const match = /^(\/)?([A-Za-z][A-Za-z-]*)(?:\s+([\s\S]*))?$/.exec(text);
  const slash = text.startsWith('/');
  if (!match) return slash ? { kind: 'unknown', name: shorten(text.split(/\s/)[0] ?? text, 30) } : { kind: 'text' };
  const word = (match[2] ?? '').toLowerCase();
  if (!isCommandName(word)) return slash ? { kind: 'unknown', name: shorten(word, 30) } : { kind: 'text' };
  if (text.length > MAX_COMMAND_TEXT) {
    return { kind: 'invalid', name: word, reason: `the message is longer than ${MAX_COMMAND_TEXT} characters`, usage: COMMAND_USAGE[word] };
  }
  try {
    return { kind: 'command', command: parseArgs(word, match[3] ?? '') };
  } catch (error) {
    if (error instanceof Refusal) return { kind: 'invalid', name: word, reason: error.message, usage: COMMAND_USAGE[word] };
    throw error;
  }
}
