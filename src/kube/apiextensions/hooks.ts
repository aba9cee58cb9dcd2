import type { FieldSelector } from '../selectors.js';
import type { KubeObject } from '../types.js';
import type { Schema } from './schema.js';

/** One `additionalPrinterColumns` entry of a CRD version. */
export interface PrinterColumn {
  name: string;
  /** integer, number, string, boolean or date. */
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** `subresources.scale` of a CRD version. */
export interface ScalePaths {
  /** `.spec.replicas`. */
  specReplicasPath: string;
  /** `.status.replicas`. */
  statusReplicasPath: string;
  /** `.status.selector`: a label selector in string form. */
  labelSelectorPath?: string;
}

/**
 * What the registry, the printers and OpenAPI need of a kind served from a CRD (the
 * `custom` field of its `ResourceType`). Built by `apiextensions/custom.ts`.
 */
export interface CustomHooks {
  /** The CRD's name (`crontabs.stable.example.com`). */
  crd: string;
  /** The version's `openAPIV3Schema`. */
  schema: Schema;
  /** Empty: the default NAME, AGE table. */
  printerColumns: PrinterColumn[];
  scale?: ScalePaths;
  /**
   * Before a create or update is stored: prunes undeclared fields (400 under
   * `fieldValidation=Strict`), applies defaults, validates against the schema (422 Invalid).
   * Mutates `o`; returns warnings for the client (`Warn`: the pruned fields).
   */
  admit(o: KubeObject, old: KubeObject | undefined, opts: { fieldValidation?: string }): string[];
  /** Whether an update bumps `metadata.generation` (anything but metadata, and status when it is a subresource). */
  generationChanged(next: KubeObject, old: Readonly<KubeObject>): boolean;
  /** Throws 400 for field selectors other than `metadata.name` and `metadata.namespace`. */
  checkFieldSelector(sel: FieldSelector): void;
}
