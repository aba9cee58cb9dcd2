/**
 * The Kubernetes REST client used by node agents (and anything else outside the API server's
 * process): typed verbs over HTTPS, single watch streams, and an informer that reconnects.
 */
export { KubeClient, resourcePath, errorFromBody, errorFromStatus, type KubeClientOptions, type ClientWatch } from './client.js';
export { Informer, type InformerHandlers, type InformerOptions, type InformerSource } from './informer.js';
export { NdjsonParser } from './ndjson.js';
