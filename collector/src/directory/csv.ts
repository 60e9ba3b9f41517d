/**
 * A small RFC 4180 reader: comma-separated, fields in double quotes may hold commas, newlines
 * and "" for a quote; LF or CRLF line ends. Lines starting with # (outside quotes) and blank
 * lines are skipped. Each record carries the line it starts on.
 */

export interface CsvRecord {
  line: number;
  fields: string[];
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; line: number; message: string };

export function readCsv(text: string): CsvResult {
  const records: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    // Comment or blank line: skip to the end of the line.
    const rest = lineAt(text, i);
    if (rest.trim() === '' || rest.trimStart().startsWith('#')) {
      i += rest.length;
      if (i < n) {
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
      }
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      let j = i;
      while (text[j] === ' ' || text[j] === '\t') j++;
      if (text[j] === '"') i = j;
      if (text[i] === '"') {
        const quoteLine = line;
        i++;
        for (;;) {
          if (i >= n) return { ok: false, line: quoteLine, message: 'a quoted field is never closed' };
          const c = text[i] as string;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        // Only spaces may follow a closing quote before the separator.
        while (text[i] === ' ' || text[i] === '\t') i++;
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          return { ok: false, line, message: 'unexpected text after a closing quote (write "" for a quote inside a field)' };
        }
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') return { ok: false, line, message: 'a quote inside an unquoted field; quote the whole field and write "" for the quote' };
          field += text[i];
          i++;
        }
        field = field.trim();
      }
      fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r' && text[i + 1] === '\n') i += 2;
      else if (text[i] === '\r' || text[i] === '\n') i++;
      break;
    }
    if (i <= n) line++;
    records.push({ line: start, fields });
  }
  return { ok: true, records };
}

function lineAt(text: string, from: number): string {
  let end = from;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  return text.slice(from, end);
}
