// The instance shim lives in src/dataplane/oci (beside the pod runtime's logging shim).
export { EXIT_POWEROFF, EXIT_REBOOT, startShim, type ShimSpec } from '../../../dataplane/oci/shim.js';
