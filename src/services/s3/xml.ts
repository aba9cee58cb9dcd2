import { malformedXml } from './errors.js';

/**
 * The little XML S3 needs: rendering response documents, and parsing the few request bodies
 * (CreateBucketConfiguration, Delete, CompleteMultipartUpload). The parser keeps elements and
 * text only; it refuses DTDs (no entity expansion) and bounds depth and element count.
 */

export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** `[name, content]`: text, nested nodes, or nothing (the element is left out). */
export type XmlNode = readonly [string, XmlContent];
export type XmlContent = string | number | boolean | readonly XmlNode[] | undefined | null;

/** Escapes text for element content; characters XML 1.0 cannot carry become references. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      case "'":
        return '&apos;';
      default:
        return `&#x${c.charCodeAt(0).toString(16)};`;
    }
  });
}

function render(nodes: readonly XmlNode[]): string {
  let out = '';
  for (const [name, content] of nodes) {
    if (content === undefined || content === null) continue;
    const inner = typeof content === 'object' ? render(content) : escapeXml(String(content));
    out += `<${name}>${inner}</${name}>`;
  }
  return out;
}

/** A whole document: declaration, then `<root xmlns=…>children</root>`. */
export function xmlDocument(root: string, children: readonly XmlNode[], ns: string | null = S3_NS): string {
  const attr = ns ? ` xmlns="${ns}"` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${attr}>${render(children)}</${root}>`;
}

export interface XmlElement {
  /** Local name (any namespace prefix removed). */
  name: string;
  children: XmlElement[];
  text: string;
}

const LIMITS = { maxDepth: 32, maxElements: 200_000 };
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&([^;&\s]{1,10});|&/g, (m, ent: string | undefined) => {
    if (ent === undefined) throw malformedXml();
    if (ENTITIES[ent]) return ENTITIES[ent];
    const code = ent.startsWith('#x') ? parseInt(ent.slice(2), 16) : ent.startsWith('#') ? parseInt(ent.slice(1), 10) : NaN;
    if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) throw malformedXml();
    return String.fromCodePoint(code);
  });
}

/** End of a start or end tag, skipping quoted attribute values. */
function tagEnd(s: string, from: number): number {
  let quote = '';
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  throw malformedXml();
}

function skipTo(s: string, from: number, end: string): number {
  const i = s.indexOf(end, from);
  if (i < 0) throw malformedXml();
  return i + end.length;
}

const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

/** Parses a document into its root element; throws MalformedXML on anything it cannot read. */
export function parseXml(doc: string): XmlElement {
  const s = doc.replace(/^\uFEFF/, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  let i = 0;
  while (i < s.length) {
    const lt = s.indexOf('<', i);
    const text = s.slice(i, lt < 0 ? s.length : lt);
    const top = stack[stack.length - 1];
    if (top) top.text += decodeEntities(text);
    else if (text.trim()) throw malformedXml();
    if (lt < 0) break;
    if (s.startsWith('<?', lt)) i = skipTo(s, lt, '?>');
    else if (s.startsWith('<!--', lt)) i = skipTo(s, lt, '-->');
    else if (s.startsWith('<![CDATA[', lt)) {
      if (!top) throw malformedXml();
      const end = skipTo(s, lt, ']]>');
      top.text += s.slice(lt + 9, end - 3);
      i = end;
    } else if (s.startsWith('<!', lt)) throw malformedXml();
    else if (s.startsWith('</', lt)) {
      const end = tagEnd(s, lt);
      const name = localName(s.slice(lt + 2, end).trim());
      if (!top || top.name !== name) throw malformedXml();
      stack.pop();
      i = end + 1;
    } else {
      if (root && stack.length === 0) throw malformedXml();
      const end = tagEnd(s, lt);
      const raw = s.slice(lt + 1, end);
      const selfClosing = raw.endsWith('/');
      const qname = /^[^\s/>]+/.exec(raw)?.[0];
      if (!qname) throw malformedXml();
      const el: XmlElement = { name: localName(qname), children: [], text: '' };
      if (++count > LIMITS.maxElements || stack.length >= LIMITS.maxDepth) throw malformedXml();
      if (top) top.children.push(el);
      else root = el;
      if (!selfClosing) stack.push(el);
      i = end + 1;
    }
  }
  if (!root || stack.length) throw malformedXml();
  return root;
}

export const childrenNamed = (el: XmlElement, name: string) => el.children.filter((c) => c.name === name);
export const childNamed = (el: XmlElement, name: string) => el.children.find((c) => c.name === name);
/** Text of the first child with that name, or undefined. */
export const childText = (el: XmlElement, name: string) => childNamed(el, name)?.text;
