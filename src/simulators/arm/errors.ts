// ARM's error envelope: {"error":{"code","message"}} (CloudError in the SecurityInsights spec).
import type { SimResponse } from '../http/types.ts';

export function armError(status: number, code: string, message: string, headers: Record<string, string> = {}): SimResponse {
  return { status, headers, json: { error: { code, message } } };
}
