import { ObjectMeta } from './meta.js';
import { inline, many, map, message, one, ptr } from './schema.js';

// Field tables of k8s.io/api/core/v1 (generated.proto, v0.32): the objects kubectl's typed
// clients create, and the pod template they carry. Rarely used corners (affinity, topology
// spread, most volume plugins, ephemeral containers, resize policies) are not listed, so those
// fields are skipped; `kubectl apply` (JSON) still carries them.

export const LocalObjectReference = message('LocalObjectReference', { 1: one('name', 'string') });

export const ObjectReference = message('ObjectReference', {
  1: one('kind', 'string'),
  2: one('namespace', 'string'),
  3: one('name', 'string'),
  4: one('uid', 'string'),
  5: one('apiVersion', 'string'),
  6: one('resourceVersion', 'string'),
  7: one('fieldPath', 'string'),
});

// ---- Namespace, ConfigMap, Secret, ServiceAccount ----

export const Namespace = message('Namespace', {
  1: one('metadata', ObjectMeta),
  2: one('spec', message('NamespaceSpec', { 1: many('finalizers', 'string') })),
  // status (3) is ignored on create, as the server does.
});

export const ConfigMap = message('ConfigMap', {
  1: one('metadata', ObjectMeta),
  2: map('data', 'string'),
  3: map('binaryData', 'bytes'),
  4: ptr('immutable', 'bool'),
});

export const Secret = message('Secret', {
  1: one('metadata', ObjectMeta),
  2: map('data', 'bytes'),
  3: one('type', 'string'),
  4: map('stringData', 'string'),
  5: ptr('immutable', 'bool'),
});

export const ServiceAccount = message('ServiceAccount', {
  1: one('metadata', ObjectMeta),
  2: many('secrets', ObjectReference),
  3: many('imagePullSecrets', LocalObjectReference),
  4: ptr('automountServiceAccountToken', 'bool'),
});

// ---- Service ----

export const ServicePort = message('ServicePort', {
  1: one('name', 'string'),
  2: one('protocol', 'string'),
  3: one('port', 'int32'),
  // A zero IntOrString means "unset": the server then defaults targetPort to port.
  4: one('targetPort', 'intOrString'),
  5: one('nodePort', 'int32'),
  6: ptr('appProtocol', 'string'),
});

export const ServiceSpec = message('ServiceSpec', {
  1: many('ports', ServicePort),
  2: map('selector', 'string'),
  3: one('clusterIP', 'string'),
  4: one('type', 'string'),
  5: many('externalIPs', 'string'),
  7: one('sessionAffinity', 'string'),
  8: one('loadBalancerIP', 'string'),
  9: many('loadBalancerSourceRanges', 'string'),
  10: one('externalName', 'string'),
  11: one('externalTrafficPolicy', 'string'),
  12: one('healthCheckNodePort', 'int32'),
  13: one('publishNotReadyAddresses', 'bool'),
  14: one('sessionAffinityConfig', message('SessionAffinityConfig', {
    1: one('clientIP', message('ClientIPConfig', { 1: ptr('timeoutSeconds', 'int32') })),
  })),
  17: ptr('ipFamilyPolicy', 'string'),
  18: many('clusterIPs', 'string'),
  19: many('ipFamilies', 'string'),
  20: ptr('allocateLoadBalancerNodePorts', 'bool'),
  21: ptr('loadBalancerClass', 'string'),
  22: ptr('internalTrafficPolicy', 'string'),
  23: ptr('trafficDistribution', 'string'),
});

export const Service = message('Service', {
  1: one('metadata', ObjectMeta),
  2: one('spec', ServiceSpec),
});

// ---- Containers ----

export const ContainerPort = message('ContainerPort', {
  1: one('name', 'string'),
  2: one('hostPort', 'int32'),
  3: one('containerPort', 'int32'),
  4: one('protocol', 'string'),
  5: one('hostIP', 'string'),
});

const ObjectFieldSelector = message('ObjectFieldSelector', {
  1: one('apiVersion', 'string'),
  2: one('fieldPath', 'string'),
});

const ResourceFieldSelector = message('ResourceFieldSelector', {
  1: one('containerName', 'string'),
  2: one('resource', 'string'),
  3: one('divisor', 'quantity'),
});

const keySelector = (name: string) => message(name, {
  1: inline(LocalObjectReference),
  2: one('key', 'string'),
  3: ptr('optional', 'bool'),
});

export const EnvVarSource = message('EnvVarSource', {
  1: one('fieldRef', ObjectFieldSelector),
  2: one('resourceFieldRef', ResourceFieldSelector),
  3: one('configMapKeyRef', keySelector('ConfigMapKeySelector')),
  4: one('secretKeyRef', keySelector('SecretKeySelector')),
});

export const EnvVar = message('EnvVar', {
  1: one('name', 'string'),
  2: one('value', 'string'),
  3: one('valueFrom', EnvVarSource),
});

const envSource = (name: string) => message(name, {
  1: inline(LocalObjectReference),
  2: ptr('optional', 'bool'),
});

export const EnvFromSource = message('EnvFromSource', {
  1: one('prefix', 'string'),
  2: one('configMapRef', envSource('ConfigMapEnvSource')),
  3: one('secretRef', envSource('SecretEnvSource')),
});

export const ResourceRequirements = message('ResourceRequirements', {
  1: map('limits', 'quantity'),
  2: map('requests', 'quantity'),
  3: many('claims', message('ResourceClaim', { 1: one('name', 'string'), 2: one('request', 'string') })),
});

export const VolumeMount = message('VolumeMount', {
  1: one('name', 'string'),
  2: one('readOnly', 'bool'),
  3: one('mountPath', 'string'),
  4: one('subPath', 'string'),
  5: ptr('mountPropagation', 'string'),
  6: one('subPathExpr', 'string'),
  7: ptr('recursiveReadOnly', 'string'),
});

const ExecAction = message('ExecAction', { 1: many('command', 'string') });

const HTTPGetAction = message('HTTPGetAction', {
  1: one('path', 'string'),
  2: ptr('port', 'intOrString'),
  3: one('host', 'string'),
  4: one('scheme', 'string'),
  5: many('httpHeaders', message('HTTPHeader', { 1: one('name', 'string'), 2: one('value', 'string') })),
});

const TCPSocketAction = message('TCPSocketAction', {
  1: ptr('port', 'intOrString'),
  2: one('host', 'string'),
});

const ProbeHandler = message('ProbeHandler', {
  1: one('exec', ExecAction),
  2: one('httpGet', HTTPGetAction),
  3: one('tcpSocket', TCPSocketAction),
  4: one('grpc', message('GRPCAction', { 1: ptr('port', 'int32'), 2: ptr('service', 'string') })),
});

export const Probe = message('Probe', {
  1: inline(ProbeHandler),
  2: one('initialDelaySeconds', 'int32'),
  3: one('timeoutSeconds', 'int32'),
  4: one('periodSeconds', 'int32'),
  5: one('successThreshold', 'int32'),
  6: one('failureThreshold', 'int32'),
  7: ptr('terminationGracePeriodSeconds', 'int64'),
});

const LifecycleHandler = message('LifecycleHandler', {
  1: one('exec', ExecAction),
  2: one('httpGet', HTTPGetAction),
  3: one('tcpSocket', TCPSocketAction),
  4: one('sleep', message('SleepAction', { 1: ptr('seconds', 'int64') })),
});

const Lifecycle = message('Lifecycle', {
  1: one('postStart', LifecycleHandler),
  2: one('preStop', LifecycleHandler),
});

const SELinuxOptions = message('SELinuxOptions', {
  1: one('user', 'string'),
  2: one('role', 'string'),
  3: one('type', 'string'),
  4: one('level', 'string'),
});

const SeccompProfile = message('SeccompProfile', {
  1: one('type', 'string'),
  2: ptr('localhostProfile', 'string'),
});

export const SecurityContext = message('SecurityContext', {
  1: one('capabilities', message('Capabilities', { 1: many('add', 'string'), 2: many('drop', 'string') })),
  2: ptr('privileged', 'bool'),
  3: one('seLinuxOptions', SELinuxOptions),
  4: ptr('runAsUser', 'int64'),
  5: ptr('runAsNonRoot', 'bool'),
  6: ptr('readOnlyRootFilesystem', 'bool'),
  7: ptr('allowPrivilegeEscalation', 'bool'),
  8: ptr('runAsGroup', 'int64'),
  9: ptr('procMount', 'string'),
  11: one('seccompProfile', SeccompProfile),
});

export const Container = message('Container', {
  1: one('name', 'string'),
  2: one('image', 'string'),
  3: many('command', 'string'),
  4: many('args', 'string'),
  5: one('workingDir', 'string'),
  6: many('ports', ContainerPort),
  7: many('env', EnvVar),
  8: one('resources', ResourceRequirements),
  9: many('volumeMounts', VolumeMount),
  10: one('livenessProbe', Probe),
  11: one('readinessProbe', Probe),
  12: one('lifecycle', Lifecycle),
  13: one('terminationMessagePath', 'string'),
  14: one('imagePullPolicy', 'string'),
  15: one('securityContext', SecurityContext),
  16: one('stdin', 'bool'),
  17: one('stdinOnce', 'bool'),
  18: one('tty', 'bool'),
  19: many('envFrom', EnvFromSource),
  20: one('terminationMessagePolicy', 'string'),
  22: one('startupProbe', Probe),
  24: ptr('restartPolicy', 'string'),
});

// ---- Volumes (the common sources) ----

const KeyToPath = message('KeyToPath', {
  1: one('key', 'string'),
  2: one('path', 'string'),
  3: ptr('mode', 'int32'),
});

export const VolumeSource = message('VolumeSource', {
  1: one('hostPath', message('HostPathVolumeSource', { 1: one('path', 'string'), 2: ptr('type', 'string') })),
  2: one('emptyDir', message('EmptyDirVolumeSource', { 1: one('medium', 'string'), 2: ptr('sizeLimit', 'quantity') })),
  6: one('secret', message('SecretVolumeSource', {
    1: one('secretName', 'string'),
    2: many('items', KeyToPath),
    3: ptr('defaultMode', 'int32'),
    4: ptr('optional', 'bool'),
  })),
  10: one('persistentVolumeClaim', message('PersistentVolumeClaimVolumeSource', { 1: one('claimName', 'string'), 2: one('readOnly', 'bool') })),
  16: one('downwardAPI', message('DownwardAPIVolumeSource', {
    1: many('items', message('DownwardAPIVolumeFile', {
      1: one('path', 'string'),
      2: one('fieldRef', ObjectFieldSelector),
      3: one('resourceFieldRef', ResourceFieldSelector),
      4: ptr('mode', 'int32'),
    })),
    2: ptr('defaultMode', 'int32'),
  })),
  19: one('configMap', message('ConfigMapVolumeSource', {
    1: inline(LocalObjectReference),
    2: many('items', KeyToPath),
    3: ptr('defaultMode', 'int32'),
    4: ptr('optional', 'bool'),
  })),
});

export const Volume = message('Volume', {
  1: one('name', 'string'),
  2: inline(VolumeSource),
});

// ---- Pods ----

const PodSecurityContext = message('PodSecurityContext', {
  1: one('seLinuxOptions', SELinuxOptions),
  2: ptr('runAsUser', 'int64'),
  3: ptr('runAsNonRoot', 'bool'),
  4: many('supplementalGroups', 'int64'),
  5: ptr('fsGroup', 'int64'),
  6: ptr('runAsGroup', 'int64'),
  7: many('sysctls', message('Sysctl', { 1: one('name', 'string'), 2: one('value', 'string') })),
  9: ptr('fsGroupChangePolicy', 'string'),
  10: one('seccompProfile', SeccompProfile),
  12: ptr('supplementalGroupsPolicy', 'string'),
  13: ptr('seLinuxChangePolicy', 'string'),
});

const Toleration = message('Toleration', {
  1: one('key', 'string'),
  2: one('operator', 'string'),
  3: one('value', 'string'),
  4: one('effect', 'string'),
  5: ptr('tolerationSeconds', 'int64'),
});

export const PodSpec = message('PodSpec', {
  1: many('volumes', Volume),
  2: many('containers', Container),
  3: one('restartPolicy', 'string'),
  4: ptr('terminationGracePeriodSeconds', 'int64'),
  5: ptr('activeDeadlineSeconds', 'int64'),
  6: one('dnsPolicy', 'string'),
  7: map('nodeSelector', 'string'),
  8: one('serviceAccountName', 'string'),
  9: one('serviceAccount', 'string'),
  10: one('nodeName', 'string'),
  11: one('hostNetwork', 'bool'),
  12: one('hostPID', 'bool'),
  13: one('hostIPC', 'bool'),
  14: one('securityContext', PodSecurityContext),
  15: many('imagePullSecrets', LocalObjectReference),
  16: one('hostname', 'string'),
  17: one('subdomain', 'string'),
  19: one('schedulerName', 'string'),
  20: many('initContainers', Container),
  21: ptr('automountServiceAccountToken', 'bool'),
  22: many('tolerations', Toleration),
  23: many('hostAliases', message('HostAlias', { 1: one('ip', 'string'), 2: many('hostnames', 'string') })),
  24: one('priorityClassName', 'string'),
  25: ptr('priority', 'int32'),
  26: one('dnsConfig', message('PodDNSConfig', {
    1: many('nameservers', 'string'),
    2: many('searches', 'string'),
    3: many('options', message('PodDNSConfigOption', { 1: one('name', 'string'), 2: ptr('value', 'string') })),
  })),
  27: ptr('shareProcessNamespace', 'bool'),
  28: many('readinessGates', message('PodReadinessGate', { 1: one('conditionType', 'string') })),
  29: ptr('runtimeClassName', 'string'),
  30: ptr('enableServiceLinks', 'bool'),
  31: ptr('preemptionPolicy', 'string'),
  35: ptr('setHostnameAsFQDN', 'bool'),
  36: one('os', message('PodOS', { 1: one('name', 'string') })),
  37: ptr('hostUsers', 'bool'),
  40: one('resources', ResourceRequirements),
});

export const PodTemplateSpec = message('PodTemplateSpec', {
  1: one('metadata', ObjectMeta),
  2: one('spec', PodSpec),
});

export const Pod = message('Pod', {
  1: one('metadata', ObjectMeta),
  2: one('spec', PodSpec),
});


// ---- ResourceQuota (kubectl create quota) ----

export const ResourceQuota = message('ResourceQuota', {
  1: one('metadata', ObjectMeta),
  2: one('spec', message('ResourceQuotaSpec', { 1: map('hard', 'quantity'), 2: many('scopes', 'string') })),
  // status (3) is the controller's.
});
