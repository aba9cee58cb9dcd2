import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childrenNamed, childText, escapeXml, parseXml, xmlDocument } from './xml.js';

describe('s3 xml', () => {
  it('renders documents with escaped text and omitted empty elements', () => {
    const doc = xmlDocument('R', [
      ['A', 'x<y&"z"'],
      ['B', undefined],
      ['C', [['D', 1], ['E', true]]],
    ]);
    assert.equal(doc, '<?xml version="1.0" encoding="UTF-8"?>\n<R xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><A>x&lt;y&amp;&quot;z&quot;</A><C><D>1</D><E>true</E></C></R>');
    assert.equal(escapeXml('\u0001'), '&#x1;');
  });

  it('parses elements, namespaces, entities, CDATA and comments', () => {
    const root = parseXml(
      '<?xml version="1.0"?><!-- c --><s3:Delete xmlns:s3="x"><Object><Key>a &amp; b&#x21;</Key></Object><Object><Key><![CDATA[<raw>]]></Key></Object><Quiet attr=">">true</Quiet></s3:Delete>',
    );
    assert.equal(root.name, 'Delete');
    assert.deepEqual(childrenNamed(root, 'Object').map((o) => childText(o, 'Key')), ['a & b!', '<raw>']);
    assert.equal(childText(root, 'Quiet'), 'true');
    assert.equal(parseXml('<a/>').name, 'a');
  });

  it('refuses what is not one well-formed element tree', () => {
    const bad = ['', 'text', '<a>', '<a></b>', '<a></a><b></b>', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', '<a>&nope;</a>', '<a>&#xFFFFFFF;</a>', `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`];
    for (const doc of bad) assert.throws(() => parseXml(doc), { code: 'MalformedXML' }, doc);
  });
});
