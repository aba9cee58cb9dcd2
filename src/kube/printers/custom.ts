import type { CustomHooks } from '../apiextensions/hooks.js';
import type { Printer, TableColumn } from './index.js';
import { column, NAME_COLUMN, since, str } from './format.js';
import { evalJsonPath, parseJsonPath } from './jsonpath.js';

/**
 * Tables of CRDs and of custom resources. A custom kind prints NAME plus its version's
 * `additionalPrinterColumns` (JSONPath cells; `date` columns as ages; `priority` > 0 only with
 * `-o wide`), or NAME and AGE when it declares none, as upstream.
 */

export const crdPrinter: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'date', 'Time when the CustomResourceDefinition was created (metadata.creationTimestamp).')],
  cells: (o) => [str(o.metadata.name), str(o.metadata.creationTimestamp)],
};

const AGE: TableColumn = column('Age', 'date', 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp');

function cell(type: string, values: unknown[], now: number): unknown {
  if (values.length === 0) return null;
  if (values.length === 1) {
    const v = values[0];
    if (type === 'date') return typeof v === 'string' ? since(v, now) : null;
    if (v === null || v === undefined) return null;
    if (typeof v === 'object') return JSON.stringify(v);
    if (type === 'integer' && !(typeof v === 'number' && Number.isInteger(v))) return null;
    if (type === 'number' && typeof v !== 'number') return null;
    if (type === 'boolean' && typeof v !== 'boolean') return null;
    return v;
  }
  return values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
}

const cache = new WeakMap<CustomHooks, Printer>();

export function customPrinter(hooks: CustomHooks): Printer {
  const hit = cache.get(hooks);
  if (hit) return hit;
  let printer: Printer;
  if (hooks.printerColumns.length === 0) {
    printer = { columns: [NAME_COLUMN, AGE], cells: (o, now) => [str(o.metadata.name), since(o.metadata.creationTimestamp, now)] };
  } else {
    const cols = hooks.printerColumns.map((c) => {
      let steps: ReturnType<typeof parseJsonPath> | undefined;
      try {
        steps = parseJsonPath(c.jsonPath);
      } catch {
        steps = undefined; // an expression this printer cannot read: the cell stays empty
      }
      return { def: column(c.name, c.type, c.description ?? `Custom resource definition column (in JSONPath format): ${c.jsonPath}`, c.priority ?? 0, c.format ?? ''), steps, type: c.type };
    });
    printer = {
      columns: [NAME_COLUMN, ...cols.map((c) => c.def)],
      cells: (o, now) => [str(o.metadata.name), ...cols.map((c) => (c.steps ? cell(c.type, evalJsonPath(c.steps, o), now) : null))],
    };
  }
  cache.set(hooks, printer);
  return printer;
}
