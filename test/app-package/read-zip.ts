// Test helper: reads an archive back with yauzl, an independent maintained ZIP reader, and
// checks each entry's CRC-32 (yauzl checks sizes, not CRCs), so the tests verify the archive
// rather than trusting the writer.
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';

export async function readZip(zip: Buffer): Promise<Map<string, Buffer>> {
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, strictFileNames: true }, (error, file) => (error ? reject(error) : resolve(file)));
  });
  const entries = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    archive.on('error', reject);
    archive.on('end', () => resolve());
    archive.on('entry', (entry: yauzl.Entry) => {
      archive.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          const data = Buffer.concat(chunks);
          if (crc32(data) !== entry.crc32) return reject(new Error(`${entry.fileName}: CRC mismatch`));
          if (entries.has(entry.fileName)) return reject(new Error(`${entry.fileName}: duplicate entry`));
          entries.set(entry.fileName, data);
          archive.readEntry();
        });
      });
    });
    archive.readEntry();
  });
  return entries;
}

export interface ZipEntryInfo {
  /** 0 stored, 8 deflated. */
  method: number;
  /** Raw DOS date and time fields of the central directory. */
  dosDate: number;
  dosTime: number;
  extraFieldCount: number;
}

/** Per entry name, how it is stored, from the central directory. */
export async function zipEntryInfo(zip: Buffer): Promise<Map<string, ZipEntryInfo>> {
  const archive = await new Promise<yauzl.ZipFile>((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file)));
  });
  const info = new Map<string, ZipEntryInfo>();
  await new Promise<void>((resolve, reject) => {
    archive.on('error', reject);
    archive.on('end', () => resolve());
    archive.on('entry', (entry: yauzl.Entry) => {
      info.set(entry.fileName, { method: entry.compressionMethod, dosDate: entry.lastModFileDate, dosTime: entry.lastModFileTime, extraFieldCount: entry.extraFields.length });
      archive.readEntry();
    });
    archive.readEntry();
  });
  return info;
}
