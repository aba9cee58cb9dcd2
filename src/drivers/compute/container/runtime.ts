// The OCI runtime wrapper lives in src/dataplane/oci (shared with the Kubernetes pod runtime).
export { cgroupMode, dropV1Namespace, ensureV1Namespace, Runtime, V1_CONTROLLERS, type CgroupMode, type RuntimeName, type RuntimeState } from '../../../dataplane/oci/runtime.js';
