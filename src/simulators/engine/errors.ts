// Errors the portal engine raises; each API layer renders them in its own wire shape.

export const SIM_ERROR_CODES = ['not-found', 'bad-request', 'conflict'] as const;
export type SimErrorCode = (typeof SIM_ERROR_CODES)[number];

export class SimError extends Error {
  readonly code: SimErrorCode;
  constructor(code: SimErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SimError';
    this.code = code;
  }
}
