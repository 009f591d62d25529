// The connector client's prerequisite answer (dataConnectorsCheckRequirements: authorization and
// licence states, plus one line per missing item) as the named checks the status card lists. Pure;
// takes the shape structurally so approvals/ does not depend on a portal client.
import type { RequirementCheck } from './types.ts';

export interface RequirementStates {
  authorization: 'valid' | 'invalid' | 'unknown';
  license: 'valid' | 'invalid' | 'unknown';
  /** "Authorization: …" / "Licence: …" lines saying what is missing and what to do. */
  missing: readonly string[];
}

const CHECKS = [
  { name: 'Permissions', state: 'authorization', line: /^(authori[sz]ation|permissions?)\s*:\s*/i },
  { name: 'Licence', state: 'license', line: /^licen[cs]e\s*:\s*/i },
] as const;

export function requirementChecksFrom(states: RequirementStates): RequirementCheck[] {
  return CHECKS.map(({ name, state, line }) => {
    const ok = states[state] === 'valid';
    if (ok) return { name, ok };
    const detail = states.missing.filter((m) => line.test(m)).map((m) => m.replace(line, '')).join(' ');
    // 'unknown' is not a pass: the portal could not tell, so say so rather than hide it.
    return { name, ok, detail: detail || (states[state] === 'unknown' ? 'The portal could not determine this; check the connector page.' : 'Missing.') };
  });
}
