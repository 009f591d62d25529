// A tiny method + path router. Patterns use `:name` segments; literal segments match
// case-insensitively because both Graph and ARM treat path literals that way.
import type { Handler, RouteParams } from './types.ts';

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export type RouteMatch =
  | { kind: 'found'; handler: Handler; params: RouteParams }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

export interface Router {
  add(method: string, pattern: string, handler: Handler): Router;
  match(method: string, path: string): RouteMatch;
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: string[], actual: string[]): RouteParams | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: RouteParams = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const value = actual[i] as string;
    if (expected.startsWith(':')) {
      params[expected.slice(1)] = value;
    } else if (expected.toLowerCase() !== value.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

export function createRouter(): Router {
  const routes: Route[] = [];
  return {
    add(method, pattern, handler) {
      routes.push({ method: method.toUpperCase(), segments: split(pattern), handler });
      return this;
    },
    match(method, path) {
      const actual = split(path);
      const allowed: string[] = [];
      for (const route of routes) {
        const params = matchSegments(route.segments, actual);
        if (!params) continue;
        if (route.method === method.toUpperCase()) return { kind: 'found', handler: route.handler, params };
        allowed.push(route.method);
      }
      return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
    },
  };
}
