// fast-check arbitraries for text a portal response can carry: every Unicode plane, lone
// surrogates, NUL and other controls, and (optionally) strings of a megabyte.
import fc from 'fast-check';

/** One UTF-16 code unit or one code point, biased towards what PostgreSQL refuses. */
const unit = fc.oneof(
  fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\u202e', '\u0007', '\ufffe', '\uffff', '\n'),
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);

/** Arbitrary strings of up to `maxLength` units (lone surrogates included). */
export function hostileString(maxLength = 200): fc.Arbitrary<string> {
  return fc.string({ unit, maxLength });
}

/** Now and then a 1 MB string (a short hostile head repeated), otherwise a short one. */
export function hostileStringOrHuge(): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: hostileString(), weight: 9 },
    { arbitrary: hostileString(8).map((head) => `${head}\ud800`.repeat(Math.ceil(1_048_576 / (head.length + 1))).slice(0, 1_048_576)), weight: 1 },
  );
}
