export { serveApiSocket, type ApiSocket, type ApiSocketOptions } from './socket.js';
export { apiProxyCommand, startApiProxy, type ApiProxy, type ApiProxyOptions } from './proxy.js';
