// Microsoft Graph's error envelope: {"error":{"code","message","innerError":{date,request-id,client-request-id}}}.
import { header } from '../http/types.ts';
import type { SimRequest, SimResponse } from '../http/types.ts';

export function graphError(
  request: SimRequest,
  now: Date,
  status: number,
  code: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): SimResponse {
  const clientRequestId = header(request, 'client-request-id') ?? request.requestId;
  return {
    status,
    headers: extraHeaders,
    json: {
      error: {
        code,
        message,
        innerError: { date: now.toISOString().replace(/\.\d+Z$/, ''), 'request-id': request.requestId, 'client-request-id': clientRequestId },
      },
    },
  };
}
