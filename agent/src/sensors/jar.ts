import yauzl from 'yauzl';
import { LimitExceeded } from './health.js';

export const JAR_LIMITS = {
  /** Central-directory entries looked at per jar before giving up. */
  entries: 100_000,
  /** Largest single entry read out of a jar. */
  entryBytes: 1024 * 1024,
} as const;

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false }, (err, zip) =>
      err ? reject(err) : resolve(zip),
    );
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, cap: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (entry.uncompressedSize > cap) {
      reject(new LimitExceeded(`${entry.fileName}: ${entry.uncompressedSize} bytes > ${cap}`));
      return;
    }
    zip.openReadStream(entry, (err, stream) => {
      if (err) return reject(err);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > cap) stream.destroy(new LimitExceeded(`${entry.fileName}: more than ${cap} bytes`));
        else chunks.push(c);
      });
      stream.on('error', reject);
      stream.on('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}

/**
 * Reads one named entry out of a zip (a jar) without reading the rest: null when the jar has no
 * such entry. Caps both the entries walked and the bytes read.
 */
export async function readZipEntry(file: string, name: string, limits = JAR_LIMITS): Promise<Buffer | null> {
  const zip = await openZip(file);
  try {
    return await new Promise<Buffer | null>((resolve, reject) => {
      let seen = 0;
      zip.on('error', reject);
      zip.on('end', () => resolve(null));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName === name) {
          readEntry(zip, entry, limits.entryBytes).then(resolve, reject);
          return;
        }
        seen += 1;
        if (seen >= limits.entries) reject(new LimitExceeded(`${file}: more than ${limits.entries} entries`));
        else zip.readEntry();
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}
