// One simulated tenant's Entra directory: users, groups and group membership, where a group's
// members may be users or other groups (nesting). Membership questions are transitive, as Graph's
// checkMemberGroups and transitiveMemberOf are. In memory only: each start rebuilds the sample
// directory (sample.ts); tests set up their own through the control API.
import type { DirectoryUser } from '../engine/engine.ts';
import { SimError } from '../engine/errors.ts';

export interface DirectoryGroup {
  id: string;
  displayName: string;
  /** Security groups can be nested and used for access; Microsoft 365 groups hold users only. */
  securityEnabled: boolean;
}

/** A user as Graph and the control API name it (`id`, where the portals' owner records say objectId). */
export interface DirectoryUserEntry {
  id: string;
  userPrincipalName: string;
  displayName: string;
}

/** The whole directory as the control API reads and replaces it. `members`: group id -> member ids. */
export interface DirectoryContents {
  users: DirectoryUserEntry[];
  groups: DirectoryGroup[];
  members: Record<string, string[]>;
}

interface DirectoryState {
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  members: Record<string, string[]>;
}

export type DirectoryObject = { kind: 'user'; user: DirectoryUser } | { kind: 'group'; group: DirectoryGroup };

export interface SimDirectory {
  users(): readonly DirectoryUser[];
  contents(): DirectoryContents;
  /** Validates and replaces everything (SimError 'bad-request' naming the problem). */
  replace(contents: unknown): void;
  addMember(groupId: string, memberId: string): void;
  /** Graph's `/users/{id | userPrincipalName}`: a GUID is an object id, anything else a UPN. */
  findUser(key: string): DirectoryUser | undefined;
  findObject(id: string): DirectoryObject | undefined;
  findGroup(id: string): DirectoryGroup | undefined;
  /** Every group `objectId` belongs to, directly or through nested groups, each once. */
  transitiveGroupsOf(objectId: string): DirectoryGroup[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

const fold = (value: string) => value.toLowerCase();

function bad(message: string): never {
  throw new SimError('bad-request', message);
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') bad(`${what} must be a non-empty string`);
  return value;
}

function guid(value: unknown, what: string): string {
  const id = text(value, what);
  if (!isGuid(id)) bad(`${what} '${id}' is not a GUID; Entra object ids are GUIDs`);
  return id;
}

/** Checks control-API input: GUID ids, unique ids and UPNs, members that exist, no group in itself. */
function validateDirectory(input: unknown): DirectoryState {
  if (typeof input !== 'object' || input === null) bad('the directory must be an object {users, groups, members}');
  const raw = input as Record<string, unknown>;
  if (!Array.isArray(raw.users) || !Array.isArray(raw.groups)) bad("'users' and 'groups' must be arrays");
  const ids = new Set<string>();
  const claim = (id: string) => {
    if (ids.has(fold(id))) bad(`object id '${id}' is used twice`);
    ids.add(fold(id));
  };
  const upns = new Set<string>();
  const users = (raw.users as unknown[]).map((entry, index) => {
    const user = (entry ?? {}) as Record<string, unknown>;
    const objectId = guid(user.id, `users[${index}].id`);
    const userPrincipalName = text(user.userPrincipalName, `users[${index}].userPrincipalName`);
    if (!userPrincipalName.includes('@')) bad(`users[${index}].userPrincipalName '${userPrincipalName}' must be name@domain`);
    if (upns.has(fold(userPrincipalName))) bad(`userPrincipalName '${userPrincipalName}' is used twice`);
    upns.add(fold(userPrincipalName));
    claim(objectId);
    return { objectId, userPrincipalName, displayName: text(user.displayName, `users[${index}].displayName`) };
  });
  const groups = (raw.groups as unknown[]).map((entry, index) => {
    const group = (entry ?? {}) as Record<string, unknown>;
    const id = guid(group.id, `groups[${index}].id`);
    claim(id);
    const securityEnabled = group.securityEnabled ?? true;
    if (typeof securityEnabled !== 'boolean') bad(`groups[${index}].securityEnabled must be a boolean`);
    return { id, displayName: text(group.displayName, `groups[${index}].displayName`), securityEnabled };
  });
  const members: Record<string, string[]> = {};
  const rawMembers = raw.members ?? {};
  if (typeof rawMembers !== 'object' || rawMembers === null || Array.isArray(rawMembers)) bad("'members' must be an object: group id -> member ids");
  for (const [groupId, list] of Object.entries(rawMembers)) {
    const group = groups.find((candidate) => fold(candidate.id) === fold(groupId));
    if (!group) bad(`members names '${groupId}', which is not a group`);
    if (!Array.isArray(list)) bad(`members['${groupId}'] must be an array of object ids`);
    members[group.id] = list.map((memberId, index) => {
      const id = guid(memberId, `members['${groupId}'][${index}]`);
      if (!ids.has(fold(id))) bad(`members['${groupId}'] names '${id}', which is neither a user nor a group`);
      if (fold(id) === fold(group.id)) bad(`group '${group.id}' cannot be a member of itself`);
      return id;
    });
  }
  return { users, groups, members };
}

export function createDirectory(initial: DirectoryContents): SimDirectory {
  let state = validateDirectory(initial);
  const contents = (): DirectoryContents => ({
    users: state.users.map((user) => ({ id: user.objectId, userPrincipalName: user.userPrincipalName, displayName: user.displayName })),
    groups: structuredClone(state.groups),
    members: structuredClone(state.members),
  });

  const findGroup = (id: string) => state.groups.find((group) => fold(group.id) === fold(id));
  const findUserById = (id: string) => state.users.find((user) => fold(user.objectId) === fold(id));

  return {
    users: () => state.users,
    contents,
    replace(input) {
      state = validateDirectory(input);
    },
    addMember(groupId, memberId) {
      const group = findGroup(groupId);
      if (!group) throw new SimError('not-found', `No group '${groupId}' in the directory.`);
      if (!findUserById(memberId) && !findGroup(memberId)) throw new SimError('not-found', `No user or group '${memberId}' in the directory.`);
      const next = contents();
      next.members[group.id] = [...(next.members[group.id] ?? []).filter((id) => fold(id) !== fold(memberId)), memberId];
      state = validateDirectory(next);
    },
    findUser(key) {
      return isGuid(key) ? findUserById(key) : state.users.find((user) => fold(user.userPrincipalName) === fold(key));
    },
    findObject(id) {
      const user = findUserById(id);
      if (user) return { kind: 'user', user };
      const group = findGroup(id);
      return group ? { kind: 'group', group } : undefined;
    },
    findGroup,
    transitiveGroupsOf(objectId) {
      // Breadth-first over "is a member of", each group once, so a cycle made through the control
      // API cannot loop (Entra itself refuses cycles).
      const found = new Map<string, DirectoryGroup>();
      let frontier = [fold(objectId)];
      while (frontier.length > 0) {
        const next: string[] = [];
        for (const group of state.groups) {
          const key = fold(group.id);
          if (found.has(key)) continue;
          const members = (state.members[group.id] ?? []).map(fold);
          if (frontier.some((id) => members.includes(id))) {
            found.set(key, group);
            next.push(key);
          }
        }
        frontier = next;
      }
      return [...found.values()];
    },
  };
}
