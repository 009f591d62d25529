// Draws the Teams app icons into appPackage/: color.png (192x192, full colour) and outline.png
// (32x32, white on a transparent background). Sizes and colours follow Microsoft Learn, "Teams
// app package" (icons): the outline icon must be white with a transparent background, the colour
// icon may use any colours. Run once with `npm exec -- node scripts/make-icons.ts`; the PNGs are
// committed, so packaging does not need this script.
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

export interface Rgba {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** Signed shape test in unit coordinates (0..1 both ways): true when (x, y) is inside. */
type Shape = (x: number, y: number) => boolean;

/** A shield: straight top, sides tapering to a point at the bottom. */
const shield: Shape = (x, y) => {
  if (y < 0.12 || y > 0.9) return false;
  const halfWidth = y < 0.55 ? 0.34 : 0.34 * Math.sqrt(Math.max(0, (0.9 - y) / 0.35));
  return Math.abs(x - 0.5) <= halfWidth;
};

/** The shield's inner area, so the outline icon is a ring. */
const shieldInner: Shape = (x, y) => {
  const scale = 0.74;
  return shield(0.5 + (x - 0.5) / scale, 0.48 + (y - 0.48) / scale);
};

/** A bridge deck with its arch, inside the shield. */
const bridgeSpan: Shape = (x, y) => {
  const deck = y >= 0.5 && y <= 0.56 && x >= 0.27 && x <= 0.73;
  const dx = (x - 0.5) / 0.2;
  const archY = 0.5 - 0.16 * Math.max(0, 1 - dx * dx);
  const arch = Math.abs(x - 0.5) <= 0.2 && y >= archY - 0.035 && y <= archY + 0.035;
  return deck || arch;
};

/** The span standing on two pillars: for the large colour icon only (at 32 px they blur into the shield). */
const bridge: Shape = (x, y) =>
  bridgeSpan(x, y) || ((Math.abs(x - 0.32) <= 0.025 || Math.abs(x - 0.68) <= 0.025) && y >= 0.5 && y <= 0.68);

/** Coverage of pixel (px, py) by `shape`, by 4x4 supersampling (anti-aliased edges). */
function coverage(shape: Shape, px: number, py: number, size: number): number {
  const samples = 4;
  let hits = 0;
  for (let i = 0; i < samples; i += 1) {
    for (let j = 0; j < samples; j += 1) {
      if (shape((px + (i + 0.5) / samples) / size, (py + (j + 0.5) / samples) / size)) hits += 1;
    }
  }
  return hits / (samples * samples);
}

export function drawIcon(size: number, pixel: (x: number, y: number) => Rgba): PNG {
  const png = new PNG({ width: size, height: size, colorType: 6 });
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const { r, g, b, a } = pixel(x, y);
      const offset = (y * size + x) * 4;
      png.data[offset] = r;
      png.data[offset + 1] = g;
      png.data[offset + 2] = b;
      png.data[offset + 3] = a;
    }
  }
  return png;
}

const BLUE: Rgba = { r: 0x0f, g: 0x6c, b: 0xbd, a: 255 };
const WHITE: Rgba = { r: 255, g: 255, b: 255, a: 255 };
const AMBER: Rgba = { r: 0xff, g: 0xb9, b: 0x00, a: 255 };

function mix(under: Rgba, over: Rgba, amount: number): Rgba {
  const t = Math.min(1, Math.max(0, amount));
  return {
    r: Math.round(under.r + (over.r - under.r) * t),
    g: Math.round(under.g + (over.g - under.g) * t),
    b: Math.round(under.b + (over.b - under.b) * t),
    a: 255,
  };
}

/** 192x192: white shield with an amber bridge on the accent blue, full bleed. */
export function colorIcon(): PNG {
  const size = 192;
  return drawIcon(size, (x, y) => {
    const onShield = mix(BLUE, WHITE, coverage(shield, x, y, size));
    return mix(onShield, AMBER, coverage(bridge, x, y, size));
  });
}

/** 32x32: white shield ring and bridge; everything else fully transparent. */
export function outlineIcon(): PNG {
  const size = 32;
  const ring: Shape = (x, y) => shield(x, y) && !shieldInner(x, y);
  const glyph: Shape = (x, y) => ring(x, y) || bridgeSpan(x, y);
  return drawIcon(size, (x, y) => ({ ...WHITE, a: Math.round(255 * coverage(glyph, x, y, size)) }));
}

if (import.meta.main) {
  const dir = new URL('../appPackage/', import.meta.url);
  writeFileSync(new URL('color.png', dir), PNG.sync.write(colorIcon()));
  writeFileSync(new URL('outline.png', dir), PNG.sync.write(outlineIcon()));
  console.log('wrote appPackage/color.png (192x192) and appPackage/outline.png (32x32)');
}
