// Portal timestamps (Graph lastUpdateDateTime, ARM lastModifiedTimeUtc, createdDateTime, ...).
// One rule for what counts as an instant, used where portal JSON is mapped (portals/wire.ts) and
// where the watcher decides whether a record may move its cursor (sync/watcher.ts).

/**
 * A date-time with seconds and an explicit zone: 2021-08-13T08:43:35.5533333Z, or +02:00. A
 * date-time without a zone is refused: Date.parse would read it in the server's local time.
 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):[0-5]\d)$/;

/** Epoch milliseconds of an instant, or null when `value` is not one (absent, free text, 2024-02-30...). */
export function instantMs(value: string): number | null {
  const match = INSTANT.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  // Date.parse rolls 2024-02-30 over to March 1st: a calendar day that does not exist is no instant.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
