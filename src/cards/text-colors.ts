// The Adaptive Card colour names the bridge's cards use for text, and why only these two.
//
// Teams draws a colour name with its theme's host config (Microsoft's "microsoft-teams-light" and
// "-dark" host configs; the Agents Playground uses the light one). Contrast of each name's text
// colour against the card background, light theme (#ffffff) / dark theme (#2d2c2c):
//
//   default    #252424 15.5:1  /  #ffffff 13.9:1
//   accent     #6264a7  5.4:1  /  #a6a7dc  6.1:1
//   attention  #c4314b  5.4:1  /  #d74654  3.2:1
//   good       #92c353  2.1:1  /  #92c353  6.7:1
//   warning    #f8d22a  1.5:1  /  #f8d22a  9.4:1   (the yellow "Severity: Medium" nobody could read)
//   dark, light: black resp. white on one of the themes
//
// WCAG 2.x level AA asks 4.5:1 for normal text (3:1 only for large text: 24 px, or 18.7 px bold,
// larger than any card text here). Only `default` and `accent` reach it on both themes, so cards
// use only these; `accent` marks work in progress. What a state means is said in words, led by an
// emoji (🔴 ✅ ❌ ⚠️ ⏳) that keeps its own colours on either theme, so colour is never the only
// cue (WCAG 1.4.1) and colour-blind readers lose nothing.
export const CARD_TEXT_COLORS = ['default', 'accent'] as const;

export type CardTextColor = (typeof CARD_TEXT_COLORS)[number];
