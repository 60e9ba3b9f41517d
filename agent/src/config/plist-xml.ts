import { ConfigParseError, MAX_DEPTH, record, type PlainValue } from './errors.js';

/**
 * Parser for XML property lists (Apple's PropertyList-1.0 DTD): dict, array, string, integer,
 * real, true, false, date, data. Enough XML for what plutil and MDM servers write: prolog,
 * DOCTYPE, comments, CDATA, the five named entities and numeric character references.
 */
export function parseXmlPlist(text: string): PlainValue {
  const p = new XmlPlistParser(text);
  return p.document();
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);|&/g, (all, ref: string | undefined) => {
    if (ref === undefined) throw new ConfigParseError('XML plist: bare "&" in text');
    if (ref.startsWith('#')) {
      const code = ref[1] === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
        throw new ConfigParseError('XML plist: invalid character reference');
      }
      return String.fromCodePoint(code);
    }
    const named = NAMED_ENTITIES[ref];
    if (named === undefined) throw new ConfigParseError(`XML plist: unknown entity ${all.slice(0, 20)}`);
    return named;
  });
}

interface Tag {
  name: string;
  closing: boolean;
  selfClosing: boolean;
}

class XmlPlistParser {
  private pos = 0;
  constructor(private readonly s: string) {}

  document(): PlainValue {
    if (this.s.charCodeAt(0) === 0xfeff) this.pos = 1;
    this.skipMisc();
    const root = this.tag();
    if (root.name !== 'plist' || root.closing) throw new ConfigParseError('XML plist: root element must be <plist>');
    if (root.selfClosing) throw new ConfigParseError('XML plist: empty <plist>');
    this.skipMisc();
    const value = this.value(this.tag(), 0);
    this.skipMisc();
    this.expectClose('plist');
    this.skipMisc();
    if (this.pos < this.s.length) throw new ConfigParseError('XML plist: content after </plist>');
    return value;
  }

  private fail(what: string): never {
    throw new ConfigParseError(`XML plist: ${what} at offset ${this.pos}`);
  }

  /** Skips whitespace, comments, the XML declaration, processing instructions and DOCTYPE. */
  private skipMisc(): void {
    for (;;) {
      while (this.pos < this.s.length && /\s/.test(this.s[this.pos] as string)) this.pos++;
      if (this.s.startsWith('<!--', this.pos)) this.skipComment();
      else if (this.s.startsWith('<?', this.pos)) this.skipPast('?>');
      else if (this.s.startsWith('<!DOCTYPE', this.pos)) this.skipPast('>');
      else return;
    }
  }

  /** XML 1.0 §2.5: a comment may not contain "--" (what macOS's plutil and Python's plistlib enforce). */
  private skipComment(): void {
    const start = this.pos + 4;
    const at = this.s.indexOf('-->', start);
    if (at < 0) this.fail('unterminated construct (missing "-->")');
    if (this.s.slice(start, at).includes('--') || this.s[at - 1] === '-') this.fail('"--" inside a comment');
    this.pos = at + 3;
  }

  private skipPast(end: string): void {
    const at = this.s.indexOf(end, this.pos);
    if (at < 0) this.fail(`unterminated construct (missing "${end}")`);
    this.pos = at + end.length;
  }

  private tag(): Tag {
    if (this.s[this.pos] !== '<') this.fail('expected a tag');
    const end = this.s.indexOf('>', this.pos);
    if (end < 0) this.fail('unterminated tag');
    let body = this.s.slice(this.pos + 1, end);
    this.pos = end + 1;
    const closing = body.startsWith('/');
    if (closing) body = body.slice(1);
    const selfClosing = body.endsWith('/');
    if (selfClosing) body = body.slice(0, -1);
    const name = /^[A-Za-z][\w.-]*/.exec(body)?.[0];
    if (!name) this.fail('malformed tag');
    return { name, closing, selfClosing };
  }

  private expectClose(name: string): void {
    const t = this.tag();
    if (!t.closing || t.name !== name) this.fail(`expected </${name}>`);
  }

  /** Character data up to the next tag, with CDATA sections and comments handled. */
  private text(): string {
    let out = '';
    for (;;) {
      const lt = this.s.indexOf('<', this.pos);
      if (lt < 0) this.fail('unterminated text');
      out += decodeEntities(this.s.slice(this.pos, lt));
      this.pos = lt;
      if (this.s.startsWith('<![CDATA[', this.pos)) {
        const end = this.s.indexOf(']]>', this.pos);
        if (end < 0) this.fail('unterminated CDATA');
        out += this.s.slice(this.pos + 9, end);
        this.pos = end + 3;
      } else if (this.s.startsWith('<!--', this.pos)) {
        this.skipComment();
      } else {
        return out;
      }
    }
  }

  private leaf(t: Tag): string {
    if (t.selfClosing) return '';
    const text = this.text();
    this.expectClose(t.name);
    return text;
  }

  private value(t: Tag, depth: number): PlainValue {
    if (t.closing) this.fail(`unexpected </${t.name}>`);
    if (depth >= MAX_DEPTH) this.fail(`nested deeper than ${MAX_DEPTH} levels`);
    switch (t.name) {
      case 'dict':
        return this.dict(t, depth);
      case 'array':
        return this.array(t, depth);
      case 'string':
        return this.leaf(t);
      case 'integer': {
        const raw = this.leaf(t).trim();
        if (!/^[+-]?(\d+|0x[0-9a-fA-F]+)$/.test(raw)) this.fail('invalid <integer>');
        const n = Number(raw.replace(/^\+/, ''));
        if (!Number.isSafeInteger(n)) this.fail('<integer> out of range');
        return n;
      }
      case 'real': {
        const raw = this.leaf(t).trim();
        const n = Number(raw);
        if (raw === '' || Number.isNaN(n)) this.fail('invalid <real>');
        return n;
      }
      case 'true':
      case 'false':
        if (!t.selfClosing) this.expectClose(t.name);
        return t.name === 'true';
      case 'date': {
        const d = new Date(this.leaf(t).trim());
        if (Number.isNaN(d.getTime())) this.fail('invalid <date>');
        return d;
      }
      case 'data': {
        const raw = this.leaf(t).replace(/\s+/g, '');
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) this.fail('invalid base64 in <data>');
        return new Uint8Array(Buffer.from(raw, 'base64'));
      }
      default:
        return this.fail(`unsupported element <${t.name}>`);
    }
  }

  private dict(t: Tag, depth: number): PlainValue {
    const out = record();
    if (t.selfClosing) return out;
    for (;;) {
      this.skipMisc();
      const k = this.tag();
      if (k.closing && k.name === 'dict') return out;
      if (k.name !== 'key' || k.closing) this.fail('expected <key> in <dict>');
      const key = this.leaf(k);
      this.skipMisc();
      out[key] = this.value(this.tag(), depth + 1);
    }
  }

  private array(t: Tag, depth: number): PlainValue {
    const out: PlainValue[] = [];
    if (t.selfClosing) return out;
    for (;;) {
      this.skipMisc();
      const v = this.tag();
      if (v.closing && v.name === 'array') return out;
      out.push(this.value(v, depth + 1));
    }
  }
}
