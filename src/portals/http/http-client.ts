// An @azure/core-rest-pipeline HttpClient that sends https requests through our trusting agent.
// Used by @azure/identity (token requests) and by the ARM client, through their `httpClient` option.
import type https from 'node:https';
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline';

export function createPortalHttpClient(agent: https.Agent): HttpClient {
  const inner = createDefaultHttpClient();
  return {
    sendRequest(request) {
      // The pipeline's NodeHttpClient uses `request.agent` when set; only https URLs get ours.
      if (request.agent === undefined && request.url.startsWith('https:')) request.agent = agent;
      return inner.sendRequest(request);
    },
  };
}
