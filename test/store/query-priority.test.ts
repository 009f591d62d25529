import { describe, expect, test } from '@jest/globals';
import { createPriorityGate, interactive } from '../../src/store/query-priority.ts';

/** A call that records when it ran and finishes when released. */
function heldCall(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    call: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    release: () => release(),
  };
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
};

describe('priority gate of the embedded database', () => {
  test('one call at a time; waiting interactive calls go before waiting background calls, each kind in order', async () => {
    const gate = createPriorityGate();
    const log: string[] = [];
    const first = heldCall(log, 'background 1');
    const running = gate.run(first.call);
    const others = [
      gate.run(async () => (log.push('background 2'), 'b2')),
      interactive(() => gate.run(async () => (log.push('interactive 1'), 'i1'))),
      gate.run(async () => (log.push('background 3'), 'b3')),
      interactive(() => gate.run(async () => (log.push('interactive 2'), 'i2'))),
    ];
    await until(() => log.length === 1);
    expect(log).toEqual(['start background 1']);
    first.release();
    expect(await Promise.all([running, ...others])).toEqual(['background 1', 'b2', 'i1', 'b3', 'i2']);
    expect(log).toEqual(['start background 1', 'end background 1', 'interactive 1', 'interactive 2', 'background 2', 'background 3']);
  });

  test('work an interactive turn starts stays interactive across awaits, and a failed call frees the gate', async () => {
    const gate = createPriorityGate();
    const log: string[] = [];
    const first = heldCall(log, 'held');
    const running = gate.run(first.call);
    const background = gate.run(async () => void log.push('background'));
    const turn = interactive(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      await expect(gate.run(async () => Promise.reject(new Error(`refused ${log.push('turn, after an await')}`)))).rejects.toThrow('refused');
      await gate.run(async () => void log.push('turn, after the failed call'));
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    first.release();
    await Promise.all([running, background, turn]);
    // The turn's first call was queued after the background one and went first; its next call came
    // once the gate had gone to the background call, and followed it.
    expect(log).toEqual(['start held', 'end held', 'turn, after an await', 'background', 'turn, after the failed call']);
  });

  test('the next call starts in a later turn of the event loop, so I/O is served between queued calls', async () => {
    const gate = createPriorityGate();
    const order: string[] = [];
    const calls = Array.from({ length: 50 }, (_, i) => gate.run(async () => void order.push(`call ${i}`)));
    setImmediate(() => order.push('I/O'));
    await Promise.all(calls);
    expect(order.indexOf('I/O')).toBeGreaterThan(-1);
    expect(order.indexOf('I/O')).toBeLessThan(3);
  });
});
