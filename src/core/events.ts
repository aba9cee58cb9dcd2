import { EventEmitter } from 'node:events';

/** A change to a stored resource, published after the write commits. */
export interface ResourceEvent {
  service: string;
  kind: string;
  action: 'created' | 'updated' | 'deleted';
  id: string;
  projectId?: string | null;
}

/** In-process bus of resource changes (feeds caches, telemetry, dashboard, audit). */
export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(100);
  }
  publish(ev: ResourceEvent): void {
    this.emitter.emit('change', ev);
  }
  subscribe(fn: (ev: ResourceEvent) => void): () => void {
    this.emitter.on('change', fn);
    return () => this.emitter.off('change', fn);
  }
}
