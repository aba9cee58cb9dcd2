/**
 * Kubernetes streaming subresources: the API server's end (exec/attach/port-forward upgrades,
 * log proxying) and the node agent's end (the agent API). See `agent-api.ts` for the wire
 * contract between them and `upgrade.ts` for the client protocols.
 */
export { serveAgentApi, type AgentTarget, type AgentApiServer } from './agent-api.js';
export { handleStreamUpgrade, rejectUpgrade, type StreamTarget } from './upgrade.js';
export { proxyLogs } from './logs.js';
