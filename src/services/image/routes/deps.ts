import type { Logger } from '../../../core/log.js';
import type { ImageLogic } from '../logic/index.js';

export interface ImageRouteDeps {
  logic: ImageLogic;
  log: Logger;
  /** Public URL of the image API root, e.g. http://127.0.0.1:5000/image (no trailing slash). */
  root: () => string;
}
