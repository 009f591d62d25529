// Jest's order: suites that failed last time first, then the longest by the timings it cached, or,
// with no cache (a fresh CI machine), the largest files. The multi-process reliability scenarios
// take minutes from small files; started last, one of them would run alone on one worker while the
// other sits idle. They start first, whatever the cache holds.
import BaseSequencer from '@jest/test-sequencer';

const SLOW = '/test/reliability/';

export default class SlowFirstSequencer extends BaseSequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((test) => test.path.includes(SLOW)), ...sorted.filter((test) => !test.path.includes(SLOW))];
  }
}
