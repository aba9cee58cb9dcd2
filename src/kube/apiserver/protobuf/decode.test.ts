import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeError } from '../../errors.js';
import { parseBody } from '../http-util.js';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE, readEnvelope, tableFor } from './index.js';

// ---- A tiny encoder for hand-built fixtures (test only) ----

type Bytes = number[];
const varint = (n: number | bigint): Bytes => {
  let x = BigInt.asUintN(64, BigInt(n));
  const out: Bytes = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x) b |= 0x80;
    out.push(b);
  } while (x);
  return out;
};
const tag = (f: number, wt: number): Bytes => varint((f << 3) | wt);
const len = (f: number, body: Bytes): Bytes => [...tag(f, 2), ...varint(body.length), ...body];
const str = (f: number, s: string): Bytes => len(f, [...Buffer.from(s, 'utf8')]);
const int = (f: number, n: number | bigint): Bytes => [...tag(f, 0), ...varint(n)];
const bool = (f: number, b: boolean): Bytes => int(f, b ? 1 : 0);
const msg = (f: number, ...parts: Bytes[]): Bytes => len(f, parts.flat());
const entry = (f: number, k: string, value: Bytes): Bytes => msg(f, str(1, k), value);
const intstr = (f: number, v: number | string): Bytes =>
  typeof v === 'number' ? msg(f, int(1, 0), int(2, v), str(3, '')) : msg(f, int(1, 1), int(2, 0), str(3, v));
const quantity = (f: number, q: string): Bytes => msg(f, str(1, q));
const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const envelope = (apiVersion: string, kind: string, raw: Bytes, extra: Bytes = []): Buffer =>
  Buffer.from([...MAGIC, ...msg(1, str(1, apiVersion), str(2, kind)), ...len(2, raw), ...str(3, ''), ...str(4, ''), ...extra]);

function decodeError(body: Uint8Array): KubeError {
  try {
    decodeProtobufBody(body);
  } catch (e) {
    assert.ok(e instanceof KubeError, `expected a KubeError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the body to be refused');
}

// ---- Bodies captured from kubectl 1.32 (`kubectl create …` against a recording server) ----

const KUBECTL_132: [string, string, unknown][] = [
  [
    'create namespace x',
    '6b3873000a0f0a02763112094e616d65737061636512190a110a017812001a0022002a0032003800420012001a020a001a002200',
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' }, spec: {} },
  ],
  [
    'create deployment web --image=busybox --replicas=2 --port=80',
    '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412bc010a1f0a0377656212001a0022002a003200380042005a0a0a036170701203776562128a010802120c0a0a0a0361707012037765621a700a1c0a0012001a0022002a003200380042005a0a0a036170701203776562125012320a0762757379626f78120762757379626f782a00320a0a001000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200',
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'busybox', image: 'busybox', ports: [{ containerPort: 80 }], resources: {} }] },
        },
        strategy: {},
      },
    },
  ],
  [
    'create service nodeport np --tcp=80:8080',
    '6b3873000a0d0a02763112075365727669636512650a1d0a026e7012001a0022002a003200380042005a090a0361707012026e7012400a1b0a0738302d38303830120354435018502207080010903f1a00280012090a0361707012026e701a0022084e6f6465506f72743a00420052005a00600068001a020a001a002200',
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'np', labels: { app: 'np' } },
      spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 'np' }, type: 'NodePort' },
    },
  ],
  [
    'create job j --image=busybox -- echo hi',
    '6b3873000a0f0a0862617463682f763112034a6f621282010a110a016a12001a0022002a00320038004200126332610a100a0012001a0022002a00320038004200124d122a0a016a120762757379626f781a046563686f1a0268692a0042006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200',
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'j' },
      spec: { template: { metadata: {}, spec: { containers: [{ name: 'j', image: 'busybox', command: ['echo', 'hi'], resources: {} }], restartPolicy: 'Never' } } },
    },
  ],
  [
    'create secret generic s --from-literal=p=q',
    '6b3873000a0c0a0276311206536563726574121d0a110a017312001a0022002a0032003800420012060a01701201711a001a002200',
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { p: Buffer.from('q').toString('base64') } },
  ],
  [
    'create configmap c --from-literal=a=1',
    '6b3873000a0f0a0276311209436f6e6669674d6170121b0a110a016312001a0022002a0032003800420012060a01611201311a002200',
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } },
  ],
  [
    'create serviceaccount sa1',
    '6b3873000a140a027631120e536572766963654163636f756e7412150a130a0373613112001a0022002a003200380042001a002200',
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1' } },
  ],
];

for (const [what, hex, want] of KUBECTL_132) {
  test(`kubectl 1.32 \`${what}\` decodes to the JSON kubectl would have sent`, () => {
    assert.deepEqual(decodeProtobufBody(Buffer.from(hex, 'hex')), want);
  });
}

test('parseBody dispatches the protobuf media type (with parameters) to the decoder', () => {
  const [, hex] = KUBECTL_132[5]!;
  const body = Buffer.from(hex, 'hex');
  assert.deepEqual(parseBody(body, `${PROTOBUF_MEDIA_TYPE}; charset=binary`), KUBECTL_132[5]![2]);
  assert.equal(parseBody(Buffer.alloc(0), PROTOBUF_MEDIA_TYPE), undefined);
  assert.throws(() => parseBody(body, 'application/x-protobuf'), (e: unknown) => e instanceof KubeError && e.code === 415);
});

// ---- Tables, with hand-built fixtures ----

test('ObjectMeta: maps, owner references with explicit false, finalizers, timestamps, zero values dropped', () => {
  const meta = msg(1,
    str(1, 'm'), str(2, 'gen-'), str(3, 'ns1'), str(4, ''), str(5, 'uid-1'), str(6, ''), int(7, 0),
    msg(8, int(1, 1700000000), int(2, 5)), msg(9), int(10, 0),
    entry(11, 'app', str(2, 'web')), entry(11, 'tier', str(2, '')),
    entry(12, 'note', str(2, 'hello, wörld')),
    msg(13, str(1, 'ReplicaSet'), str(3, 'rs1'), str(4, 'u2'), str(5, 'apps/v1'), bool(6, false), bool(7, true)),
    str(14, 'example.com/a'), str(14, 'example.com/b'),
    msg(17, str(1, 'kubectl')), // managedFields: not in the table, skipped
  );
  assert.deepEqual(decodeProtobufBody(envelope('v1', 'ConfigMap', meta)), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'm',
      generateName: 'gen-',
      namespace: 'ns1',
      uid: 'uid-1',
      creationTimestamp: '2023-11-14T22:13:20Z',
      deletionGracePeriodSeconds: 0,
      labels: { app: 'web', tier: '' },
      annotations: { note: 'hello, wörld' },
      ownerReferences: [{ kind: 'ReplicaSet', name: 'rs1', uid: 'u2', apiVersion: 'apps/v1', controller: false, blockOwnerDeletion: true }],
      finalizers: ['example.com/a', 'example.com/b'],
    },
  });
});

test('ConfigMap binaryData and Secret data are base64; stringData, type and immutable: false survive', () => {
  const cm = [...msg(1, str(1, 'c')), ...entry(2, 'k', str(2, 'v')), ...entry(3, 'bin', len(2, [0, 1, 254, 255])), ...bool(4, false)];
  assert.deepEqual(decodeProtobufBody(envelope('v1', 'ConfigMap', cm)), {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'v' }, binaryData: { bin: 'AAH+/w==' }, immutable: false,
  });
  const secret = [...msg(1, str(1, 's')), ...entry(2, 'p', len(2, [...Buffer.from('q')])), ...entry(2, 'empty', []), ...str(3, 'kubernetes.io/basic-auth'), ...entry(4, 'username', str(2, 'admin')), ...bool(5, true)];
  assert.deepEqual(decodeProtobufBody(envelope('v1', 'Secret', secret)), {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { p: 'cQ==', empty: '' }, type: 'kubernetes.io/basic-auth', stringData: { username: 'admin' }, immutable: true,
  });
});

test('ServiceAccount references and automount false', () => {
  const sa = [...msg(1, str(1, 'sa')), ...msg(2, str(1, 'Secret'), str(3, 'tok')), ...msg(3, str(1, 'regcred')), ...bool(4, false)];
  assert.deepEqual(decodeProtobufBody(envelope('v1', 'ServiceAccount', sa)), {
    apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' }, secrets: [{ kind: 'Secret', name: 'tok' }], imagePullSecrets: [{ name: 'regcred' }], automountServiceAccountToken: false,
  });
});

test('Service: named and unset targetPorts, nodePort, session affinity, pointer fields', () => {
  const spec = msg(2,
    msg(1, str(1, 'http'), str(2, 'TCP'), int(3, 80), intstr(4, 'web'), int(5, 30080), str(6, 'http')),
    msg(1, str(1, 'dns'), str(2, 'UDP'), int(3, 53), intstr(4, 0), int(5, 0)),
    entry(2, 'app', str(2, 'web')),
    str(3, '10.43.0.10'), str(4, 'ClusterIP'), str(7, 'ClientIP'),
    msg(14, msg(1, int(1, 600))),
    str(17, 'SingleStack'), str(18, '10.43.0.10'), str(19, 'IPv4'), bool(20, false), str(22, 'Cluster'),
  );
  assert.deepEqual(decodeProtobufBody(envelope('v1', 'Service', [...msg(1, str(1, 'svc')), ...spec, ...msg(3, msg(1))])), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'svc' },
    spec: {
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 'web', nodePort: 30080, appProtocol: 'http' },
        { name: 'dns', protocol: 'UDP', port: 53 },
      ],
      selector: { app: 'web' },
      clusterIP: '10.43.0.10',
      type: 'ClusterIP',
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      ipFamilyPolicy: 'SingleStack',
      clusterIPs: ['10.43.0.10'],
      ipFamilies: ['IPv4'],
      allocateLoadBalancerNodePorts: false,
      internalTrafficPolicy: 'Cluster',
    },
  });
});

test('Deployment: replicas 0, strategy with IntOrString 0 and percent, selector expressions, full container', () => {
  const container = msg(2,
    str(1, 'app'), str(2, 'nginx:1.25'), str(3, 'nginx'), str(4, '-g'), str(4, 'daemon off;'), str(5, '/srv'),
    msg(6, str(1, 'http'), int(2, 0), int(3, 8080), str(4, 'TCP')),
    msg(7, str(1, 'MODE'), str(2, 'prod')),
    msg(7, str(1, 'LEVEL'), str(2, ''), msg(3, msg(3, msg(1, str(1, 'settings')), str(2, 'level'), bool(3, false)))),
    msg(7, str(1, 'NODE'), msg(3, msg(1, str(1, 'v1'), str(2, 'spec.nodeName')))),
    msg(7, str(1, 'PW'), msg(3, msg(4, msg(1, str(1, 'creds')), str(2, 'password')))),
    msg(8, entry(1, 'cpu', quantity(2, '500m')), entry(1, 'memory', quantity(2, '64Mi')), entry(2, 'cpu', quantity(2, '100m'))),
    msg(9, str(1, 'data'), bool(2, true), str(3, '/data')),
    msg(11, msg(1, msg(2, str(1, '/healthz'), intstr(2, 'http'), str(4, 'HTTP'))), int(2, 3), int(4, 10)),
    msg(10, msg(1, msg(3, intstr(1, 8080))), int(6, 0)),
    msg(12, msg(2, msg(1, str(1, 'sleep'), str(1, '5')))),
    str(13, '/dev/termination-log'), str(14, 'IfNotPresent'),
    msg(15, msg(1, str(2, 'ALL')), bool(2, false), int(4, 0), bool(5, true)),
    bool(16, false), bool(18, true), str(20, 'File'),
    msg(19, str(1, 'CFG_'), msg(2, msg(1, str(1, 'settings')))),
    msg(25, str(1, 'future field')),
  );
  const podSpec = msg(2,
    msg(1, str(1, 'data'), msg(2, msg(2, str(1, ''), quantity(2, '1Gi')))),
    msg(1, str(1, 'cfg'), msg(2, msg(19, msg(1, str(1, 'settings')), msg(2, str(1, 'a'), str(2, 'a.txt')), int(3, 420)))),
    container,
    str(3, 'Always'), int(4, 30), str(6, 'ClusterFirst'), entry(7, 'disk', str(2, 'ssd')), str(8, 'runner'),
    bool(11, false), msg(14, int(2, 1000), int(4, 1), int(4, 2), len(4, [...varint(3), ...varint(4)])),
    str(19, 'default-scheduler'), msg(22, str(1, 'k'), str(2, 'Exists'), str(4, 'NoSchedule')), bool(30, false),
  );
  const spec = msg(2,
    int(1, 0),
    msg(2, entry(1, 'app', str(2, 'web')), msg(2, str(1, 'tier'), str(2, 'In'), str(3, 'a'), str(3, 'b'))),
    msg(3, msg(1, entry(11, 'app', str(2, 'web'))), podSpec),
    msg(4, str(1, 'RollingUpdate'), msg(2, intstr(1, 0), intstr(2, '25%'))),
    int(5, 0), int(6, 10), bool(7, false), int(9, 600),
  );
  const got = decodeProtobufBody(envelope('apps/v1', 'Deployment', [...msg(1, str(1, 'web')), ...spec, ...msg(3, int(1, 5))]));
  assert.deepEqual(got, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          volumes: [
            { name: 'data', emptyDir: { sizeLimit: '1Gi' } },
            { name: 'cfg', configMap: { name: 'settings', items: [{ key: 'a', path: 'a.txt' }], defaultMode: 420 } },
          ],
          containers: [{
            name: 'app',
            image: 'nginx:1.25',
            command: ['nginx'],
            args: ['-g', 'daemon off;'],
            workingDir: '/srv',
            ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            env: [
              { name: 'MODE', value: 'prod' },
              { name: 'LEVEL', valueFrom: { configMapKeyRef: { name: 'settings', key: 'level', optional: false } } },
              { name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
              { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
            ],
            resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '100m' } },
            volumeMounts: [{ name: 'data', readOnly: true, mountPath: '/data' }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 3, periodSeconds: 10 },
            livenessProbe: { tcpSocket: { port: 8080 } },
            lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
            terminationMessagePath: '/dev/termination-log',
            imagePullPolicy: 'IfNotPresent',
            securityContext: { capabilities: { drop: ['ALL'] }, privileged: false, runAsUser: 0, runAsNonRoot: true },
            tty: true,
            terminationMessagePolicy: 'File',
            envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }],
          }],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          nodeSelector: { disk: 'ssd' },
          serviceAccountName: 'runner',
          securityContext: { runAsUser: 1000, supplementalGroups: [1, 2, 3, 4] },
          schedulerName: 'default-scheduler',
          tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }],
          enableServiceLinks: false,
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
  });
});

test('Job and CronJob: pointer counts keep 0, the template nests', () => {
  const template = msg(6, msg(1), msg(2, msg(2, str(1, 'j'), str(2, 'busybox')), str(3, 'Never')));
  const jobSpec = [...int(1, 2), ...int(2, 4), ...int(3, 60), ...int(7, 0), ...int(8, 0), ...str(9, 'Indexed'), ...bool(10, false), ...template];
  assert.deepEqual(decodeProtobufBody(envelope('batch/v1', 'Job', [...msg(1, str(1, 'j')), ...msg(2, ...[jobSpec])])), {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j' },
    spec: {
      parallelism: 2, completions: 4, activeDeadlineSeconds: 60, backoffLimit: 0, ttlSecondsAfterFinished: 0, completionMode: 'Indexed', suspend: false,
      template: { metadata: {}, spec: { containers: [{ name: 'j', image: 'busybox' }], restartPolicy: 'Never' } },
    },
  });
  const cron = [...msg(1, str(1, 'c')), ...msg(2, str(1, '*/5 * * * *'), str(3, 'Forbid'), msg(5, msg(1, str(1, '')), msg(2, ...[jobSpec])), int(6, 3), str(8, 'UTC'))];
  const got = decodeProtobufBody(envelope('batch/v1', 'CronJob', cron)) as { spec: Record<string, unknown> };
  assert.equal(got.spec.schedule, '*/5 * * * *');
  assert.equal(got.spec.concurrencyPolicy, 'Forbid');
  assert.equal(got.spec.successfulJobsHistoryLimit, 3);
  assert.equal(got.spec.timeZone, 'UTC');
  assert.deepEqual((got.spec.jobTemplate as { spec: { backoffLimit: number } }).spec.backoffLimit, 0);
});

test('Eviction carries DeleteOptions; DeleteOptions alone decodes under any apiVersion', () => {
  const opts = [...int(1, 0), ...msg(2, str(1, 'uid-9')), ...str(4, 'Foreground'), ...str(5, 'All')];
  assert.deepEqual(decodeProtobufBody(envelope('policy/v1', 'Eviction', [...msg(1, str(1, 'web-1'), str(3, 'default')), ...msg(2, ...[opts])])), {
    apiVersion: 'policy/v1',
    kind: 'Eviction',
    metadata: { name: 'web-1', namespace: 'default' },
    deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'uid-9' }, propagationPolicy: 'Foreground', dryRun: ['All'] },
  });
  assert.ok(tableFor('v1', 'DeleteOptions'));
  assert.ok(tableFor('meta.k8s.io/v1', 'DeleteOptions'));
  assert.deepEqual(decodeProtobufBody(envelope('v1', 'DeleteOptions', [...bool(3, true), ...int(1, -1)])), {
    apiVersion: 'v1', kind: 'DeleteOptions', orphanDependents: true, gracePeriodSeconds: -1,
  });
});

test('TokenRequest: audiences, expiration, bound object', () => {
  const tr = [...msg(1, str(1, 'sa1')), ...msg(2, str(1, 'api'), str(1, 'vault'), msg(3, str(1, 'Pod'), str(2, 'v1'), str(3, 'p'), str(4, 'u')), int(4, 3600))];
  assert.deepEqual(decodeProtobufBody(envelope('authentication.k8s.io/v1', 'TokenRequest', tr)), {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    metadata: { name: 'sa1' },
    spec: { audiences: ['api', 'vault'], boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u' }, expirationSeconds: 3600 },
  });
});

test('Pod decodes with the same PodSpec table', () => {
  const pod = [...msg(1, str(1, 'p')), ...msg(2, msg(2, str(1, 'c'), str(2, 'busybox'), bool(16, true), bool(17, true)), str(10, 'node-1'))];
  assert.deepEqual(decodeProtobufBody(envelope('v1', 'Pod', pod)), {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox', stdin: true, stdinOnce: true }], nodeName: 'node-1' },
  });
});

test('unknown fields of every wire type are skipped at every level', () => {
  const unknown = [...int(99, 7), ...tag(98, 1), 1, 2, 3, 4, 5, 6, 7, 8, ...str(97, 'x'), ...tag(96, 5), 1, 2, 3, 4];
  const body = [...unknown, ...msg(1, ...[unknown], str(1, 'n')), ...entry(2, 'a', [...unknown, ...str(2, 'b')])];
  assert.deepEqual(decodeProtobufBody(envelope('v1', 'ConfigMap', body, unknown)), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n' }, data: { a: 'b' } });
});

// ---- The envelope and refusals ----

test('readEnvelope splits typeMeta, raw, contentEncoding and contentType', () => {
  const env = readEnvelope(Buffer.from([...MAGIC, ...msg(1, str(1, 'apps/v1'), str(2, 'Deployment')), ...len(2, [1, 2, 3]), ...str(3, 'gzip'), ...str(4, 'application/json')]));
  assert.equal(env.apiVersion, 'apps/v1');
  assert.equal(env.kind, 'Deployment');
  assert.deepEqual([...env.raw], [1, 2, 3]);
  assert.equal(env.contentEncoding, 'gzip');
  assert.equal(env.contentType, 'application/json');
});

test('an envelope carrying JSON is accepted', () => {
  const body = Buffer.from([...MAGIC, ...msg(1, str(1, 'v1'), str(2, 'ConfigMap')), ...str(2, '{"metadata":{"name":"j"},"data":{"a":"b"}}'), ...str(4, 'application/json')]);
  assert.deepEqual(decodeProtobufBody(body), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j' }, data: { a: 'b' } });
  const bad = Buffer.from([...MAGIC, ...msg(1, str(2, 'ConfigMap')), ...str(2, '{nope'), ...str(4, 'application/json')]);
  assert.equal(decodeError(bad).code, 400);
});

test('types without a table and encoded contents are 415 with the apply workaround', () => {
  const role = decodeError(envelope('networking.k8s.io/v1', 'Ingress', msg(1, str(1, 'r'))));
  assert.equal(role.code, 415);
  assert.equal(role.reason, 'UnsupportedMediaType');
  assert.match(role.message, /not networking\.k8s\.io\/v1 Ingress/);
  assert.match(role.message, /--dry-run=client -o yaml \| kubectl apply -f -/);
  const gz = decodeError(Buffer.from([...MAGIC, ...msg(1, str(1, 'v1'), str(2, 'ConfigMap')), ...len(2, [1]), ...str(3, 'gzip')]));
  assert.equal(gz.code, 415);
  assert.match(gz.message, /contentEncoding "gzip"/);
  const noKind = decodeError(Buffer.from([...MAGIC, ...len(2, [])]));
  assert.equal(noKind.code, 415);
  assert.match(noKind.message, /names no kind.*kubectl apply -f -/);
  assert.equal(decodeError(Buffer.from(MAGIC)).code, 415, 'the bare prefix: an empty envelope');
  const cbor = decodeError(Buffer.from([...MAGIC, ...msg(1, str(1, 'v1'), str(2, 'ConfigMap')), ...len(2, [0xa0]), ...str(4, 'application/cbor')]));
  assert.equal(cbor.code, 415);
});

test('malformed bodies are 400 BadRequest with the reason', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['no magic', Buffer.from('{"kind":"ConfigMap"}'), /k8s\\x00/],
    ['short', Buffer.from([0x6b, 0x38]), /prefix/],
    ['truncated raw', Buffer.from([...MAGIC, ...msg(1, str(1, 'v1'), str(2, 'ConfigMap')), ...tag(2, 2), 50, 1, 2]), /runs past the end/],
    ['wrong wire type for a known field', envelope('v1', 'ConfigMap', msg(1, int(1, 5))), /ObjectMeta\.name has wire type 0, expected 2/],
    ['string where a number belongs', envelope('apps/v1', 'Deployment', msg(2, str(1, '3'))), /DeploymentSpec\.replicas/],
    ['int64 beyond 2^53', envelope('v1', 'DeleteOptions', int(1, 2n ** 60n)), /beyond the integers/],
    ['timestamp out of range', envelope('v1', 'ConfigMap', msg(1, msg(8, int(1, 2n ** 50n)))), /outside years/],
    ['IntOrString of type 7', envelope('v1', 'Service', msg(2, msg(1, msg(4, int(1, 7))))), /IntOrString type 7/],
    ['a group', envelope('v1', 'ConfigMap', [...tag(50, 3)]), /groups/],
  ];
  for (const [name, body, re] of cases) {
    const e = decodeError(body);
    assert.equal(e.code, 400, name);
    assert.equal(e.reason, 'BadRequest', name);
    assert.match(e.message, re, name);
  }
});

test('every truncation and many byte flips of real bodies give a result or a 400/415, nothing else', () => {
  let rng = 12345;
  const rand = () => (rng = (rng * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let refused = 0;
  for (const [, hex] of KUBECTL_132) {
    const full = Buffer.from(hex, 'hex');
    const variants: Buffer[] = [];
    for (let n = 0; n < full.length; n++) variants.push(full.subarray(0, n));
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(full);
      for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) b[4 + Math.floor(rand() * (b.length - 4))] = Math.floor(rand() * 256);
      variants.push(b);
    }
    for (const v of variants) {
      try {
        const obj = decodeProtobufBody(v);
        assert.equal(typeof obj, 'object');
        JSON.stringify(obj);
      } catch (e) {
        assert.ok(e instanceof KubeError, `not a KubeError: ${String(e)}`);
        assert.ok(e.code === 400 || e.code === 415, `code ${e.code}: ${e.message}`);
        refused++;
      }
    }
  }
  assert.ok(refused > 100, `most damaged bodies are refused (${refused})`);
});

test('RBAC kinds and access reviews decode (kubectl create role|rolebinding, auth can-i)', () => {
  const rule = (verbs: string[], groups: string[], resources: string[]) => [...verbs.map((v) => str(1, v)), ...groups.map((g) => str(2, g)), ...resources.map((r) => str(3, r))];
  const role = decodeProtobufBody(envelope('rbac.authorization.k8s.io/v1', 'Role', [...msg(1, str(1, 'r'), str(3, 'team')), ...msg(2, ...rule(['get', 'list'], [''], ['pods']))]));
  assert.deepEqual(role, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r', namespace: 'team' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] });
  const rb = decodeProtobufBody(envelope('rbac.authorization.k8s.io/v1', 'RoleBinding', [...msg(1, str(1, 'rb')), ...msg(2, str(1, 'ServiceAccount'), str(2, ''), str(3, 'robot'), str(4, 'team')), ...msg(3, str(1, 'rbac.authorization.k8s.io'), str(2, 'Role'), str(3, 'r'))]));
  assert.deepEqual(rb, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'rb' }, subjects: [{ kind: 'ServiceAccount', name: 'robot', namespace: 'team' }], roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' } });
  const cr = decodeProtobufBody(envelope('rbac.authorization.k8s.io/v1', 'ClusterRole', [...msg(1, str(1, 'agg')), ...msg(3, msg(1, entry(1, 'a', str(2, 'b'))))]));
  assert.deepEqual(cr.aggregationRule, { clusterRoleSelectors: [{ matchLabels: { a: 'b' } }] });
  const ssar = decodeProtobufBody(envelope('authorization.k8s.io/v1', 'SelfSubjectAccessReview', [...msg(1), ...msg(2, msg(1, str(1, 'team'), str(2, 'list'), str(3, ''), str(5, 'pods')))]));
  assert.deepEqual(ssar, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec: { resourceAttributes: { namespace: 'team', verb: 'list', resource: 'pods' } } });
  const ssrr = decodeProtobufBody(envelope('authorization.k8s.io/v1', 'SelfSubjectRulesReview', msg(2, str(1, 'team'))));
  assert.deepEqual(ssrr.spec, { namespace: 'team' });
  assert.deepEqual(decodeProtobufBody(envelope('authentication.k8s.io/v1', 'SelfSubjectReview', msg(1))), { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {} });
});
