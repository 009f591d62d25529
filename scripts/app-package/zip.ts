// Writes the Teams app package archive with yazl (a maintained ZIP writer). Entries get a fixed
// timestamp and no extended timestamp field, so the same inputs give the same bytes.
import yazl from 'yazl';

export interface ZipEntry {
  /** Path inside the archive; forward slashes, no leading slash, no "..". */
  name: string;
  data: Uint8Array;
}

/**
 * 1980-01-01 00:00, the earliest DOS date. Built from local-time fields because DOS timestamps
 * store local time: this gives the same fields, and so the same bytes, in every time zone.
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);
/** PNGs are compressed already; deflating them again only costs time. */
const STORED = /\.png$/i;

export async function createZip(entries: readonly ZipEntry[]): Promise<Buffer> {
  const names = new Set<string>();
  const zip = new yazl.ZipFile();
  for (const entry of entries) {
    // yazl refuses absolute paths and ".." itself; backslashes it would silently turn into slashes.
    if (entry.name.includes('\\')) throw new Error(`zip: entry name '${entry.name}' must use forward slashes`);
    if (names.has(entry.name)) throw new Error(`zip: duplicate entry '${entry.name}'`);
    names.add(entry.name);
    zip.addBuffer(Buffer.from(entry.data), entry.name, { mtime: FIXED_MTIME, forceDosTimestamp: true, compress: !STORED.test(entry.name) });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
