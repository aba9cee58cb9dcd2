/**
 * The DNS wire format, in three parts: message.ts (types, constants, names and the format
 * rules), encode.ts (`encodeMessage`) and decode.ts (`decodeMessage`, `peekHeader`,
 * `truncateResponse`). Importers use this module.
 */
export * from './message.js';
export { encodeMessage } from './encode.js';
export { decodeMessage, peekHeader, truncateResponse } from './decode.js';
