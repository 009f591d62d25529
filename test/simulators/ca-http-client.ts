// A minimal @azure/core-rest-pipeline HttpClient over node:https that trusts one CA. The Azure SDK's
// default client has no CA option, and the simulators' certificate comes from a local CA.
import { request as httpsRequest } from 'node:https';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';

export function createCaTrustingHttpClient(caCertPem: string): HttpClient {
  return {
    sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of request.headers) headers[name] = value;
        const req = httpsRequest(request.url, { method: request.method, headers, ca: caCertPem }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const responseHeaders = createHttpHeaders();
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
            }
            resolve({ request, status: res.statusCode ?? 0, headers: responseHeaders, bodyAsText: Buffer.concat(chunks).toString('utf8') });
          });
        });
        req.on('error', reject);
        const body = request.body;
        if (typeof body === 'string') req.write(body);
        else if (body instanceof Uint8Array) req.write(body);
        else if (body !== undefined && body !== null) reject(new Error('ca-http-client: only string and byte bodies are supported'));
        req.end();
      });
    },
  };
}
