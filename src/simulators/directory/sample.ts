// The sample directory every simulated tenant starts with: the scenario's analysts (owners and
// comment authors in the portals), the Agents Playground's signed-in user, and three security
// groups, one nested in another, so that roles by group can be tried locally.
//
// The Playground sends `aadObjectId` 00000000-0000-0000-0000-0000000000020 for its user. That is not
// a GUID (its last group has 13 digits), so it is no Entra object id: Graph reads a key that is not
// a GUID as a userPrincipalName, finds none, and answers 404. Here the user has a real object id and
// the Playground's sign-in name, alexw@example.com, by which a client finds it.
import { stableGuid } from '../engine/seed.ts';
import { SCENARIO_ANALYSTS } from '../scenario/planner.ts';
import type { DirectoryContents, DirectoryUserEntry } from './directory.ts';

export const PLAYGROUND_USER_PRINCIPAL_NAME = 'alexw@example.com';

/** Display names of the sample groups; their ids are per tenant (`sampleGroupId`). */
export const SAMPLE_GROUPS = {
  analysts: 'SOC Analysts',
  tier1: 'SOC Tier 1',
  approvers: 'Connector Approvers',
} as const;

export function sampleGroupId(tenantId: string, displayName: string): string {
  return stableGuid(`${tenantId}/group/${displayName}`);
}

function displayNameOf(upn: string): string {
  return upn.split('@')[0]?.split('.').map((part) => part[0]?.toUpperCase() + part.slice(1)).join(' ') ?? upn;
}

export function sampleDirectory(tenantId: string): DirectoryContents {
  const user = (upn: string, displayName: string): DirectoryUserEntry => ({ id: stableGuid(`${tenantId}/user/${upn}`), userPrincipalName: upn, displayName });
  const analysts = SCENARIO_ANALYSTS.map((upn) => user(upn, displayNameOf(upn)));
  const playground = user(PLAYGROUND_USER_PRINCIPAL_NAME, 'Alex Wilber');
  const [alex, megan, lee] = analysts as [DirectoryUserEntry, DirectoryUserEntry, DirectoryUserEntry];
  const group = (displayName: string) => ({ id: sampleGroupId(tenantId, displayName), displayName, securityEnabled: true });
  const analystsGroup = group(SAMPLE_GROUPS.analysts);
  const tier1 = group(SAMPLE_GROUPS.tier1);
  const approvers = group(SAMPLE_GROUPS.approvers);
  return {
    users: [...analysts, playground],
    groups: [analystsGroup, tier1, approvers],
    members: {
      // SOC Tier 1 is nested in SOC Analysts: its members are analysts through the nesting only.
      [analystsGroup.id]: [megan.id, tier1.id],
      [tier1.id]: [alex.id, lee.id, playground.id],
      [approvers.id]: [megan.id],
    },
  };
}
