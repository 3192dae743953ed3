// deploy/kubernetes, rendered by the real `kubectl kustomize` (offline, the kustomize built into kubectl;
// Debian 12's kubernetes-client on CI) for the base, the example overlay and the ha overlay, then:
// - every object validated against the Kubernetes schemas (kubernetes-models' validators, and
//   @kubernetes-models/prometheus-operator's for the ServiceMonitor and PrometheusRule); unknown kinds fail;
// - what the deployment relies on: one replica with its own volume, probes on the listen port, the
//   security context, resources within the V8 heap setting, every credential from a Secret, the
//   ConfigMap equal to alertmanager/, selectors that select, the PrometheusRule equal to rules/alert.rules;
// - the overlays change what they say they change, and nothing else; the ha overlay runs three replicas of
//   a Deployment on PostgreSQL (URL from a Secret, identity from the downward API), spread across nodes;
// - the pod's args and environment, run directly (ConfigMap and volume mapped to temp dirs), answer the
//   probes and keep the database on the volume; the ha pod's, on a throwaway PostgreSQL, become the sender
//   under the pod's name and write nothing but /tmp.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { parse, parseAllDocuments } from "yaml";
import pg from "pg";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ACK_LINK_KEY_ENV } from "../../src/config/alertprism.ts";
import { resolveSettings } from "../../src/settings.ts";
import { startPostgres } from "../helpers/postgres.ts";
import { REPO_ROOT, freePort, makeTempDir, requireBinary, sleep, waitForHttp } from "./harness.ts";

const BASE = join(REPO_ROOT, "deploy", "kubernetes", "base");
const OVERLAY = join(REPO_ROOT, "deploy", "kubernetes", "overlays", "example");
const HA_OVERLAY = join(REPO_ROOT, "deploy", "kubernetes", "overlays", "ha");
const CONFIG_DIR = join(REPO_ROOT, "alertmanager");
const RENDER_TIMEOUT_MS = 60_000;
/** Newer kustomize versions warn about the spellings Debian 12's kubectl (kustomize v2.0.3) needs. */
const ALLOWED_STDERR = /^# Warning: '(bases|patchesStrategicMerge|patchesJson6902)' is deprecated\. Please use '(resources|patches)' instead\./;
/** Credentials AlertPrism reads from its environment only (README "Command line"). */
const ENV_ONLY_CREDENTIALS = ["ALERTPRISM_WEBHOOK_BEARER_TOKEN", ACK_LINK_KEY_ENV];
/** Variable names that hold a credential, whatever the config file calls them (a database URL has its password). */
const CREDENTIAL_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|ROUTING_KEY|SERVICE_KEY|API_KEY|ACCESS_KEY|USERNAME|WEBHOOK_PATH|_KEY$|POSTGRES_URL/;

// ---------------------------------------------------------------------------------------------
// Rendering and schema validation

interface Validating {
  validate(): void;
}
interface ModelClass<M extends Validating> {
  apiVersion: string;
  kind: string;
  new (data: never): M;
}
const MODELS: ReadonlyArray<ModelClass<Validating>> = [
  Namespace,
  ServiceAccount,
  ConfigMap,
  Service,
  StatefulSet,
  Deployment,
  PodDisruptionBudget,
  NetworkPolicy,
  ServiceMonitor,
  PrometheusRule,
];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

function isK8sObject(v: unknown): v is K8sObject {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  const md = o.metadata as Record<string, unknown> | undefined;
  return typeof o.apiVersion === "string" && typeof o.kind === "string" && typeof md?.name === "string";
}

function render(dir: string): K8sObject[] {
  const r = spawnSync(requireBinary("kubectl"), ["kustomize", dir], { encoding: "utf8", timeout: RENDER_TIMEOUT_MS, env: { PATH: process.env.PATH, HOME: makeTempDir("kubectl-home") } });
  assert.equal(r.status, 0, `kubectl kustomize ${dir} failed:\n${r.stderr}${r.error?.message ?? ""}`);
  const unexpected = r.stderr.split("\n").filter((l) => l.trim() !== "" && !ALLOWED_STDERR.test(l));
  assert.deepEqual(unexpected, [], `kubectl kustomize ${dir} complained`);
  return parseAllDocuments(r.stdout).map((doc, i) => {
    assert.deepEqual(doc.errors, [], `document ${i} of ${dir}`);
    const obj: unknown = doc.toJS();
    assert.ok(isK8sObject(obj), `document ${i} of ${dir} is not a Kubernetes object: ${JSON.stringify(obj).slice(0, 200)}`);
    return obj;
  });
}

function modelFor(obj: K8sObject): ModelClass<Validating> {
  const m = MODELS.find((c) => c.apiVersion === obj.apiVersion && c.kind === obj.kind);
  assert.ok(m, `${obj.apiVersion} ${obj.kind} ${obj.metadata.name}: no schema for this kind (add its model to MODELS)`);
  return m;
}

function validate(obj: K8sObject): void {
  const Model = modelFor(obj);
  try {
    new Model(structuredClone(obj) as never).validate();
  } catch (err) {
    assert.fail(`${obj.kind} ${obj.metadata.name} does not match its schema: ${(err as Error).message}`);
  }
}

/** The one object of a kind (typed by its model, after validation). */
function only<M extends Validating>(objs: K8sObject[], Model: ModelClass<M>): M {
  const found = objs.filter((o) => o.apiVersion === Model.apiVersion && o.kind === Model.kind);
  assert.equal(found.length, 1, `exactly one ${Model.kind}, got ${found.length}`);
  return new Model(structuredClone(found[0]) as never);
}

/** The object of a kind with that name. */
function named<M extends Validating>(objs: K8sObject[], Model: ModelClass<M>, name: string): M {
  const found = objs.filter((o) => o.apiVersion === Model.apiVersion && o.kind === Model.kind && o.metadata.name === name);
  assert.equal(found.length, 1, `exactly one ${Model.kind} ${name}, got ${found.length}`);
  return new Model(structuredClone(found[0]) as never);
}

/** What runs AlertPrism: the StatefulSet (base, example overlay) or the Deployment (ha overlay), one of them. */
type Workload = StatefulSet | Deployment;

function workload(objs: K8sObject[]): Workload {
  const kinds = objs.filter((o) => o.apiVersion === "apps/v1" && (o.kind === "StatefulSet" || o.kind === "Deployment"));
  assert.equal(kinds.length, 1, `exactly one StatefulSet or Deployment, got ${kinds.map((o) => o.kind).join(", ")}`);
  return kinds[0]!.kind === "StatefulSet" ? only(objs, StatefulSet) : only(objs, Deployment);
}

// ---------------------------------------------------------------------------------------------
// Small helpers over the typed objects

function podSpec(w: Workload): IPodSpec {
  const spec = w.spec?.template.spec;
  assert.ok(spec, `the ${w.kind} has a pod template spec`);
  return spec;
}

function mainContainer(w: Workload): IContainer {
  const containers = podSpec(w).containers;
  assert.equal(containers.length, 1, "one container");
  return containers[0]!;
}

/** `--name=value` of the container's args. */
function argValue(c: IContainer, name: string): string {
  const hits = (c.args ?? []).filter((a) => a.startsWith(`--${name}=`));
  assert.equal(hits.length, 1, `--${name}= given once in the args ${JSON.stringify(c.args)}`);
  return hits[0]!.slice(name.length + 3);
}

function envVar(c: IContainer, name: string): IEnvVar | undefined {
  return (c.env ?? []).find((e) => e.name === name);
}

/**
 * The container's environment as the kubelet makes it: values with `$(VAR)` expanded from the variables
 * listed before them (`$$` is a literal `$`, an unknown reference stays as it is), downward-API fields,
 * and Secret keys ("secret/key"); a missing optional key leaves the variable unset.
 */
function containerEnv(c: IContainer, fields: Record<string, string>, secrets: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) {
      env[e.name] = e.value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) => (name === undefined ? "$" : env[name] ?? m));
    } else if (e.valueFrom?.fieldRef) {
      const v = fields[e.valueFrom.fieldRef.fieldPath];
      assert.ok(v !== undefined, `${e.name}: no value for the field ${e.valueFrom.fieldRef.fieldPath}`);
      env[e.name] = v;
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const v = secrets[`${ref.name}/${ref.key}`];
      assert.ok(v !== undefined || ref.optional === true, `${e.name}: the Secret key ${ref.name}/${ref.key} is required`);
      if (v !== undefined) env[e.name] = v;
    } else {
      assert.fail(`${e.name}: unsupported source ${JSON.stringify(e.valueFrom)}`);
    }
  }
  return env;
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  assert.ok(selector && Object.keys(selector).length > 0, "a non-empty selector");
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** Kubernetes quantities as numbers: bytes for memory, cores for CPU. */
function quantity(q: string | number | undefined, what: string): number {
  assert.ok(q !== undefined, `${what} is set`);
  if (typeof q === "number") return q;
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G)?$/.exec(q);
  assert.ok(m, `${what}: unsupported quantity ${q}`);
  const unit = { m: 1e-3, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9 }[m[2] as "m"] ?? 1;
  return Number(m[1]) * unit;
}

/** `${VAR}` and `${VAR:-default}` references in the values (not the comments) of a YAML text. */
function variablesIn(yamlText: string): Map<string, string> {
  const found = new Map<string, string>(); // variable → the key it sits under
  const walk = (v: unknown, key: string): void => {
    if (typeof v === "string") {
      for (const m of v.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\}/g)) found.set(m[1]!, key);
    } else if (Array.isArray(v)) {
      v.forEach((x) => walk(x, key));
    } else if (typeof v === "object" && v !== null) {
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  walk(parse(yamlText), "");
  return found;
}

/** The files of alertmanager/ that AlertPrism or Alertmanager read (not the kustomization). */
function shippedConfigFiles(): string[] {
  return readdirSync(CONFIG_DIR).filter((f) => f.endsWith(".yml")).sort();
}

function dockerfileUser(): { uid: number; gid: number } {
  const m = /^USER\s+(\d+):(\d+)\s*$/m.exec(readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8"));
  assert.ok(m, "the Dockerfile sets a numeric USER uid:gid");
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

// ---------------------------------------------------------------------------------------------

describe("deploy/kubernetes rendered with kubectl kustomize", () => {
  let base: K8sObject[] = [];
  let overlay: K8sObject[] = [];
  let ha: K8sObject[] = [];
  before(() => {
    base = render(BASE);
    overlay = render(OVERLAY);
    ha = render(HA_OVERLAY);
  });

  it("renders the base and the overlays offline, each object valid against its Kubernetes schema", () => {
    const kinds = (objs: K8sObject[]) => objs.map((o) => o.kind).sort();
    const expected = ["ConfigMap", "NetworkPolicy", "PodDisruptionBudget", "PrometheusRule", "Service", "ServiceAccount", "ServiceMonitor", "StatefulSet"];
    assert.deepEqual(kinds(base), expected);
    assert.deepEqual(kinds(overlay), [...expected, "Namespace"].sort());
    // The ha overlay: a Deployment in place of the StatefulSet, and a second NetworkPolicy (PostgreSQL).
    assert.deepEqual(kinds(ha), [...expected.filter((k) => k !== "StatefulSet"), "Deployment", "NetworkPolicy"].sort());
    for (const obj of [...base, ...overlay, ...ha]) validate(obj);
  });

  it("the schema validation rejects what it is relied on for (wrong types, missing required fields, unknown kinds)", () => {
    const sts = base.find((o) => o.kind === "StatefulSet")!;
    const broken = (mutate: (o: Record<string, unknown> & { spec: Record<string, unknown> }) => void): K8sObject => {
      const copy = structuredClone(sts) as unknown as Record<string, unknown> & { spec: Record<string, unknown> };
      mutate(copy);
      return copy as unknown as K8sObject;
    };
    assert.throws(() => validate(broken((o) => (o.spec.replicas = "1"))), /replicas must be integer/);
    assert.throws(() => validate(broken((o) => delete o.spec.selector)), /selector/);
    assert.throws(() => validate(broken((o) => ((o.spec.template as { spec: { containers: unknown } }).spec.containers = {}))), /containers must be array/);
    const sm = base.find((o) => o.kind === "ServiceMonitor")!;
    assert.throws(() => validate({ ...structuredClone(sm), spec: { selector: {}, endpoints: [{ port: 9093 }] } } as K8sObject), /port must be string/);
    assert.throws(() => validate({ apiVersion: "apps/v1", kind: "DaemonSet", metadata: { name: "x" } }), /no schema for this kind/);
    const deployment = ha.find((o) => o.kind === "Deployment")!;
    assert.throws(() => validate({ ...structuredClone(deployment), spec: { ...(deployment as unknown as { spec: object }).spec, strategy: { type: 1 } } } as K8sObject), /type must be string/);
  });

  it("one replica of a StatefulSet (SQLite has one writer) with its own ReadWriteOnce volume for the database", () => {
    for (const objs of [base, overlay]) {
      const sts = only(objs, StatefulSet);
      assert.equal(sts.spec?.replicas, 1);
      assert.equal(sts.spec?.podManagementPolicy, "OrderedReady");
      assert.equal(sts.spec?.serviceName, only(objs, Service).metadata?.name);
      assert.ok(matches(sts.spec?.selector.matchLabels, sts.spec?.template.metadata?.labels), "the selector selects the pod template");
      const claims = sts.spec?.volumeClaimTemplates ?? [];
      assert.equal(claims.length, 1);
      const claim = claims[0]!;
      assert.deepEqual(claim.spec?.accessModes, ["ReadWriteOnce"]);
      assert.ok(quantity(claim.spec?.resources?.requests?.storage, "storage request") >= 2 ** 30, "at least 1 GiB");
      const c = mainContainer(sts);
      const storagePath = argValue(c, "storage.path");
      const mount = (c.volumeMounts ?? []).find((m) => m.mountPath === storagePath);
      assert.equal(mount?.name, claim.metadata?.name, "--storage.path is the claim's mount");
      assert.notEqual(mount?.readOnly, true);
    }
  });

  it("liveness and start-up probe /-/healthy, readiness /-/ready, on the port AlertPrism listens on", () => {
    for (const objs of [base, overlay, ha]) {
      const c = mainContainer(workload(objs));
      const listenPort = Number(argValue(c, "web.listen-address").split(":").at(-1));
      const http = (c.ports ?? []).find((p) => p.name === "http");
      assert.equal(http?.containerPort, listenPort);
      // The probe paths carry no prefix: none is set, and the external URL (whose path would be the
      // default prefix) has none.
      assert.ok(!(c.args ?? []).some((a) => a.startsWith("--web.route-prefix=")) && envVar(c, "ALERTPRISM_ROUTE_PREFIX") === undefined);
      const external = envVar(c, "ALERTPRISM_EXTERNAL_URL")?.value;
      assert.ok(external !== undefined && ["", "/"].includes(new URL(external).pathname), `external URL ${external} without a path`);
      const probes = { livenessProbe: "/-/healthy", startupProbe: "/-/healthy", readinessProbe: "/-/ready" } as const;
      for (const [probe, path] of Object.entries(probes)) {
        const get = c[probe as keyof typeof probes]?.httpGet;
        assert.equal(get?.path, path, probe);
        assert.ok(get?.port === "http" || get?.port === listenPort, `${probe} port`);
      }
      // Liveness must not kill a start-up that is still checking a large database.
      const startup = c.startupProbe!;
      assert.ok((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3) >= 120, "the start-up probe allows at least 2 minutes");
    }
  });

  it("runs as the image's unprivileged user, read-only root filesystem, no privilege escalation, no capabilities", () => {
    const user = dockerfileUser();
    for (const objs of [base, overlay, ha]) {
      const sts = workload(objs);
      const pod = podSpec(sts);
      assert.equal(pod.securityContext?.runAsNonRoot, true);
      assert.equal(pod.securityContext?.runAsUser, user.uid);
      assert.equal(pod.securityContext?.runAsGroup, user.gid);
      assert.equal(pod.securityContext?.fsGroup, user.gid, "a volume is writable for the image's group");
      assert.equal(pod.securityContext?.seccompProfile?.type, "RuntimeDefault");
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(only(objs, ServiceAccount).automountServiceAccountToken, false);
      assert.equal(pod.serviceAccountName, only(objs, ServiceAccount).metadata?.name);
      const c = mainContainer(sts);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
      assert.notEqual(c.securityContext?.privileged, true);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ["ALL"]);
      assert.equal(c.securityContext?.capabilities?.add, undefined);
      // With a read-only root, everything written is a volume: the database and the temp dir.
      const mounted = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
      assert.equal(mounted.get("/tmp")?.readOnly ?? false, false, "/tmp is a writable volume");
      const tmpVolume = (pod.volumes ?? []).find((v) => v.name === mounted.get("/tmp")?.name);
      assert.ok(tmpVolume?.emptyDir, "/tmp is an emptyDir");
      assert.equal(mounted.get(posix.dirname(argValue(c, "config.file")))?.readOnly, true, "the config mount is read-only");
    }
  });

  it("requests and limits CPU and memory, with V8's heap below the memory limit", () => {
    for (const objs of [base, overlay, ha]) {
      const c = mainContainer(workload(objs));
      const { requests, limits } = c.resources ?? {};
      for (const r of ["cpu", "memory"]) {
        const req = quantity(requests?.[r], `requests.${r}`);
        const lim = quantity(limits?.[r], `limits.${r}`);
        assert.ok(req > 0 && req <= lim, `${r}: 0 < request ${req} <= limit ${lim}`);
      }
      const heap = /--max-old-space-size=(\d+)/.exec(envVar(c, "NODE_OPTIONS")?.value ?? "");
      assert.ok(heap, "NODE_OPTIONS caps V8's old space");
      const heapBytes = Number(heap[1]) * 2 ** 20;
      assert.ok(heapBytes < quantity(limits?.memory, "limits.memory"), "the heap cap is below the memory limit");
      assert.ok(heapBytes >= quantity(requests?.memory, "requests.memory"), "and not below the request (the 10,000-alert working set)");
    }
  });

  it("every credential comes from a Secret key, never a literal value", () => {
    for (const objs of [base, overlay, ha]) {
      const c = mainContainer(workload(objs));
      const cm = only(objs, ConfigMap);
      // The variables the loaded configs use, from their values (comments do not count).
      const loaded = [argValue(c, "config.file"), argValue(c, "alertprism.config.file")].map((p) => cm.data?.[posix.basename(p)] ?? "");
      const used = new Map<string, string>();
      for (const text of loaded) for (const [v, key] of variablesIn(text)) used.set(v, key);
      assert.ok(used.size >= 8, `the example configs use their variables: ${[...used.keys()].join(", ")}`);
      const credentials = new Set<string>(ENV_ONLY_CREDENTIALS);
      for (const [v, key] of used) if (CREDENTIAL_NAME.test(v) || /password|secret|token|key|api_url/i.test(key)) credentials.add(v);
      for (const e of c.env ?? []) if (CREDENTIAL_NAME.test(e.name)) credentials.add(e.name);
      for (const name of [...used.keys(), ...credentials]) {
        const e = envVar(c, name);
        assert.ok(e, `${name} is set in the container's environment`);
        if (credentials.has(name)) {
          assert.equal(e.value, undefined, `${name} has no literal value`);
          assert.ok(e.valueFrom?.secretKeyRef?.name && e.valueFrom.secretKeyRef.key, `${name} comes from a Secret key`);
        }
      }
      for (const e of c.envFrom ?? []) assert.equal(e.configMapRef, undefined, "no environment from ConfigMaps (they are not secret)");
      assert.ok(credentials.has("SMTP_PASSWORD") && credentials.has("PAGERDUTY_ROUTING_KEY") && credentials.has("DINGTALK_SECRET"));
    }
  });

  it("the ConfigMap holds the files of alertmanager/ unchanged, mounted where the args read them", () => {
    const files = shippedConfigFiles();
    for (const objs of [base, overlay, ha]) {
      const cm = only(objs, ConfigMap);
      assert.deepEqual(Object.keys(cm.data ?? {}).sort(), files, "every config file of alertmanager/ (add new ones to alertmanager/kustomization.yaml)");
      for (const f of files) assert.equal(cm.data?.[f], readFileSync(join(CONFIG_DIR, f), "utf8"), f);
      const sts = workload(objs);
      const c = mainContainer(sts);
      const volume = (podSpec(sts).volumes ?? []).find((v) => v.configMap?.name === cm.metadata?.name);
      assert.ok(volume, `a volume of ConfigMap ${cm.metadata?.name} (the generated, hashed name)`);
      const mount = (c.volumeMounts ?? []).find((m) => m.name === volume.name);
      for (const arg of ["config.file", "alertprism.config.file"]) {
        const path = argValue(c, arg);
        assert.equal(posix.dirname(path), mount?.mountPath, `--${arg} is in the ConfigMap's mount`);
        assert.ok(files.includes(posix.basename(path)), `--${arg}=${path} is one of the files`);
      }
    }
  });

  it("Service, ServiceMonitor, NetworkPolicy and PodDisruptionBudget select what they are meant to", () => {
    for (const objs of [base, overlay, ha]) {
      const sts = workload(objs);
      const podLabels = sts.spec?.template.metadata?.labels;
      const svc = only(objs, Service);
      // The scrape job is named after the Service; rules/alert.rules watches up{job="alertprism"}.
      assert.equal(svc.metadata?.name, "alertprism");
      assert.ok(matches(svc.spec?.selector, podLabels), "the Service selects the pod");
      const port = svc.spec?.ports?.find((p) => p.name === "http");
      assert.equal(port?.targetPort, "http");
      assert.ok((mainContainer(sts).ports ?? []).some((p) => p.name === "http"));

      const sm = only(objs, ServiceMonitor);
      assert.ok(matches(sm.spec.selector.matchLabels, svc.metadata?.labels), "the ServiceMonitor selects the Service");
      assert.equal(sm.spec.endpoints?.length, 1);
      assert.equal(sm.spec.endpoints?.[0]?.port, port?.name, "it scrapes the Service's named port");
      assert.equal(sm.spec.endpoints?.[0]?.path, "/metrics");
      assert.equal(sm.spec.jobLabel, undefined, "job label = Service name");

      const np = named(objs, NetworkPolicy, "alertprism");
      assert.ok(matches(np.spec?.podSelector.matchLabels, podLabels), "the NetworkPolicy applies to the pod");
      assert.deepEqual(np.spec?.policyTypes, ["Ingress", "Egress"]);
      const ingressPorts = (np.spec?.ingress ?? []).flatMap((r) => r.ports ?? []);
      assert.deepEqual(ingressPorts.map((p) => p.port), ["http"], "only the HTTP port is reachable");
      assert.ok(
        (np.spec?.ingress ?? []).some((r) => (r.from ?? []).some((f) => f.podSelector?.matchLabels?.["app.kubernetes.io/name"] === "prometheus")),
        "Prometheus may reach it",
      );
      const egressPorts = (np.spec?.egress ?? []).flatMap((r) => (r.ports ?? []).map((p) => `${p.port}/${p.protocol}`));
      for (const p of ["53/UDP", "53/TCP", "443/TCP", "587/TCP"]) assert.ok(egressPorts.includes(p), `egress ${p} (DNS, HTTPS receivers, SMTP)`);

      const pdb = only(objs, PodDisruptionBudget);
      assert.ok(matches(pdb.spec?.selector?.matchLabels, podLabels), "the PodDisruptionBudget covers the pod");
      // With one replica, a budget that demands it stay up would block every node drain; with three, one
      // at a time keeps two serving.
      assert.equal(pdb.spec?.maxUnavailable, 1);
      assert.equal(pdb.spec?.minAvailable, undefined);
    }
  });

  it("the PrometheusRule holds exactly the groups of rules/alert.rules", () => {
    const groups = (parse(readFileSync(join(REPO_ROOT, "rules", "alert.rules"), "utf8")) as { groups: unknown[] }).groups;
    for (const objs of [base, overlay, ha]) {
      assert.deepEqual(only(objs, PrometheusRule).spec.groups, groups, "run `node scripts/render-prometheusrule.mjs` after editing rules/alert.rules");
    }
  });

  it("the example overlay changes the namespace, image, URL, volume and monitoring labels, and nothing else", () => {
    const kustomization = parse(readFileSync(join(OVERLAY, "kustomization.yaml"), "utf8")) as { namespace: string; images: Array<{ name: string; newName: string; newTag: string }> };
    const ns = kustomization.namespace;
    assert.equal(only(overlay, Namespace).metadata?.name, ns);
    assert.equal(only(overlay, Namespace).metadata?.labels?.["pod-security.kubernetes.io/enforce"], "restricted");
    for (const o of base) assert.equal(o.metadata.namespace, undefined, `base ${o.kind} has no namespace`);
    for (const o of overlay.filter((x) => x.kind !== "Namespace")) assert.equal(o.metadata.namespace, ns, `${o.kind} in ${ns}`);

    const baseSts = only(base, StatefulSet);
    const overSts = only(overlay, StatefulSet);
    const image = kustomization.images[0]!;
    assert.equal(mainContainer(baseSts).image?.split(":")[0], image.name);
    assert.equal(mainContainer(overSts).image, `${image.newName}:${image.newTag}`);
    assert.equal(envVar(mainContainer(overSts), "ALERTPRISM_EXTERNAL_URL")?.value, "https://alerts.example.com");
    const claim = overSts.spec?.volumeClaimTemplates?.[0];
    assert.equal(claim?.spec?.storageClassName, "ssd");
    assert.equal(claim?.spec?.resources?.requests?.storage, "50Gi");
    for (const M of [ServiceMonitor, PrometheusRule] as Array<ModelClass<ServiceMonitor | PrometheusRule>>) {
      assert.equal(only(overlay, M).metadata?.labels?.release, "kube-prometheus-stack", M.kind);
      assert.equal(only(base, M).metadata?.labels?.release, undefined, M.kind);
    }

    // Everything else in the StatefulSet is the base's: the patch merged, it did not replace lists.
    const strip = (sts: StatefulSet): unknown => {
      const copy = structuredClone(sts.toJSON()) as { metadata?: { namespace?: string }; spec: { volumeClaimTemplates?: unknown; template: { spec: IPodSpec } } };
      delete copy.metadata?.namespace;
      delete copy.spec.volumeClaimTemplates;
      const c = copy.spec.template.spec.containers[0]!;
      delete c.image;
      c.env = (c.env ?? []).filter((e) => e.name !== "ALERTPRISM_EXTERNAL_URL");
      return copy;
    };
    assert.deepEqual(strip(overSts), strip(baseSts));
    assert.deepEqual(
      (mainContainer(overSts).env ?? []).map((e) => e.name),
      (mainContainer(baseSts).env ?? []).map((e) => e.name),
      "the same variables in the same order",
    );
  });

  it("the ha overlay runs three replicas of a Deployment with no volume of their own, and no StatefulSet", () => {
    assert.equal(ha.filter((o) => o.kind === "StatefulSet").length, 0, "the base's StatefulSet is not rendered");
    const dep = only(ha, Deployment);
    assert.equal(dep.metadata?.name, "alertprism");
    assert.equal(dep.spec?.replicas, 3);
    assert.ok(matches(dep.spec?.selector.matchLabels, dep.spec?.template.metadata?.labels), "the selector selects the pod template");
    // A rollout starts a new pod before it stops an old one.
    assert.equal(dep.spec?.strategy?.type, "RollingUpdate");
    assert.equal(dep.spec?.strategy?.rollingUpdate?.maxUnavailable, 0);
    assert.ok(Number(dep.spec?.strategy?.rollingUpdate?.maxSurge) >= 1);
    // The state is in PostgreSQL: only the ConfigMap and the /tmp emptyDir, no claim, no --storage.path.
    const pod = podSpec(dep);
    const c = mainContainer(dep);
    assert.deepEqual((pod.volumes ?? []).map((v) => (v.configMap ? "configMap" : v.emptyDir ? "emptyDir" : JSON.stringify(v))).sort(), ["configMap", "emptyDir"]);
    assert.deepEqual((c.volumeMounts ?? []).map((m) => m.mountPath).sort(), [posix.dirname(argValue(c, "alertprism.config.file")), "/tmp"]);
    assert.ok(!(c.args ?? []).some((a) => a.startsWith("--storage.path=")), "no --storage.path: nothing is stored in the pod");
  });

  it("the ha replicas: the PostgreSQL URL from the Secret alertprism-postgres, each one's identity from the downward API, as AlertPrism loads them", () => {
    const dep = only(ha, Deployment);
    const c = mainContainer(dep);
    const url = envVar(c, "ALERTPRISM_POSTGRES_URL");
    assert.equal(url?.value, undefined);
    assert.equal(url?.valueFrom?.secretKeyRef?.name, "alertprism-postgres");
    assert.equal(url?.valueFrom?.secretKeyRef?.key, "url");
    assert.notEqual(url?.valueFrom?.secretKeyRef?.optional, true, "without the database the pod must not start");
    assert.equal(envVar(c, "POD_NAME")?.valueFrom?.fieldRef?.fieldPath, "metadata.name");
    assert.equal(envVar(c, "POD_IP")?.valueFrom?.fieldRef?.fieldPath, "status.podIP");

    // The settings file the args name, from the ConfigMap mounted there.
    const settingsPath = argValue(c, "alertprism.config.file");
    const configVolume = (podSpec(dep).volumes ?? []).find((v) => v.name === (c.volumeMounts ?? []).find((m) => m.mountPath === posix.dirname(settingsPath))?.name);
    assert.equal(configVolume?.configMap?.name, only(ha, ConfigMap).metadata?.name, `${settingsPath} is in the ConfigMap's mount`);
    const dir = makeTempDir("k8s-ha-config");
    for (const [f, text] of Object.entries(only(ha, ConfigMap).data ?? {})) writeFileSync(join(dir, f), text);
    assert.equal((parse(readFileSync(join(dir, posix.basename(settingsPath)), "utf8")) as { storage?: { backend?: string } }).storage?.backend, "postgres");

    // The container's environment as the kubelet makes it for one pod, loaded by AlertPrism's own code.
    const pod = { name: "alertprism-6f7d9c8b5-x2k4q", ip: "10.1.2.3" };
    const secretUrl = "postgres://alertprism:s3cret@db.example.com:5432/alertprism?sslmode=verify-full";
    const env = containerEnv(c, { "metadata.name": pod.name, "status.podIP": pod.ip }, { "alertprism-postgres/url": secretUrl });
    const port = (c.ports ?? []).find((p) => p.name === "http")?.containerPort;
    assert.equal(env.ALERTPRISM_REPLICA_ID, pod.name);
    assert.equal(env.ALERTPRISM_ADVERTISE_ADDRESS, `${pod.ip}:${port}`);
    const flags = new Map([["config.file", join(dir, posix.basename(argValue(c, "config.file")))], ["alertprism.config.file", join(dir, posix.basename(settingsPath))], ["web.listen-address", argValue(c, "web.listen-address")]]);
    const settings = resolveSettings(flags, env);
    assert.deepEqual(
      settings.postgres && { url: settings.postgres.url, replicaId: settings.postgres.replicaId, advertiseAddress: settings.postgres.advertiseAddress },
      { url: secretUrl, replicaId: pod.name, advertiseAddress: `${pod.ip}:${port}` },
    );
  });

  it("the ha replicas spread across nodes, and a disruption takes one at a time", () => {
    const dep = only(ha, Deployment);
    const podLabels = dep.spec?.template.metadata?.labels;
    const anti = podSpec(dep).affinity?.podAntiAffinity;
    // Preferred only: a cluster with fewer nodes than replicas still runs all three.
    assert.equal(anti?.requiredDuringSchedulingIgnoredDuringExecution, undefined);
    const terms = anti?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    assert.equal(terms.length, 1);
    assert.equal(terms[0]!.podAffinityTerm.topologyKey, "kubernetes.io/hostname");
    assert.ok(matches(terms[0]!.podAffinityTerm.labelSelector?.matchLabels, podLabels), "it keeps apart the replicas of this Deployment");
    assert.ok(terms[0]!.weight >= 50);
    const pdb = only(ha, PodDisruptionBudget);
    assert.ok(matches(pdb.spec?.selector?.matchLabels, podLabels));
    assert.equal(pdb.spec?.maxUnavailable, 1);
    assert.ok((dep.spec?.replicas ?? 0) - 1 >= 2, "two replicas serve during a disruption");
  });

  it("the ha replicas may reach PostgreSQL (5432/TCP) through a NetworkPolicy of their own; the base's is unchanged", () => {
    const podLabels = only(ha, Deployment).spec?.template.metadata?.labels;
    const pg = named(ha, NetworkPolicy, "alertprism-postgres");
    assert.ok(matches(pg.spec?.podSelector.matchLabels, podLabels));
    assert.deepEqual(pg.spec?.policyTypes, ["Egress"], "it opens no ingress");
    assert.deepEqual((pg.spec?.egress ?? []).flatMap((r) => (r.ports ?? []).map((p) => `${p.port}/${p.protocol}`)), ["5432/TCP"]);
    assert.deepEqual(named(ha, NetworkPolicy, "alertprism").toJSON(), only(base, NetworkPolicy).toJSON());
  });

  it("the ha overlay changes the kind, replicas, args, environment, mounts and affinity of the base's workload, and nothing else", () => {
    // The other objects are the base's (the ConfigMap by name: its hash is the same).
    for (const o of base.filter((x) => x.kind !== "StatefulSet")) {
      const twin = ha.find((x) => x.kind === o.kind && x.metadata.name === o.metadata.name);
      assert.deepEqual(twin, o, `${o.kind} ${o.metadata.name}`);
    }
    const added = ["ALERTPRISM_POSTGRES_URL", "POD_NAME", "POD_IP", "ALERTPRISM_REPLICA_ID", "ALERTPRISM_ADVERTISE_ADDRESS"];
    const template = (w: Workload): unknown => {
      const copy = structuredClone(w.toJSON().spec?.template) as { spec: IPodSpec };
      delete copy.spec.affinity;
      const c = copy.spec.containers[0]!;
      delete c.args;
      c.env = (c.env ?? []).filter((e) => !added.includes(e.name));
      c.volumeMounts = (c.volumeMounts ?? []).filter((m) => m.mountPath !== "/var/lib/alertprism");
      return copy;
    };
    assert.deepEqual(template(only(ha, Deployment)), template(only(base, StatefulSet)));
    const envNames = (w: Workload) => (mainContainer(w).env ?? []).map((e) => e.name);
    assert.deepEqual(envNames(only(ha, Deployment)).filter((n) => !added.includes(n)), envNames(only(base, StatefulSet)), "the base's variables, in their order");
    // The args: the base's, with the HA settings file and without --storage.path.
    const baseArgs = mainContainer(only(base, StatefulSet)).args ?? [];
    assert.deepEqual(
      mainContainer(only(ha, Deployment)).args,
      baseArgs.filter((a) => !a.startsWith("--storage.path=")).map((a) => (a.startsWith("--alertprism.config.file=") ? "--alertprism.config.file=/etc/alertprism/alertprism.ha.example.yml" : a)),
    );
    const sts = only(base, StatefulSet).spec!;
    const dep = only(ha, Deployment).spec!;
    assert.deepEqual(dep.selector, sts.selector);
    assert.deepEqual(only(ha, Deployment).metadata, only(base, StatefulSet).metadata);
  });
});

/**
 * Runs a command the way the pod's security context does, when the tests run as root: in a private mount
 * namespace where every filesystem is read-only (readOnlyRootFilesystem; the kernel's /proc, /sys and
 * /dev aside) except the given writable volumes, as the pod's uid and gid (setpriv, no other groups).
 */
const READ_ONLY_ROOT = `set -eu
uid=$1; gid=$2; writable=$3; shift 3
mounts=$(awk '{print $5}' /proc/self/mountinfo | grep -Ev '^/(proc|sys|dev)(/|$)')
# Bind the volumes first: a bind mount made later would copy the read-only flag of its parent.
for w in $(printf '%s' "$writable" | tr ':' ' '); do mount --bind "$w" "$w"; done
for m in $mounts; do mount -o remount,bind,ro "$m"; done
for probe in /.read-only-probe ./.read-only-probe; do
  if touch "$probe" 2>/dev/null; then rm -f "$probe"; echo "$probe is still writable" >&2; exit 97; fi
done
exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"`;

describe("the pod's args and environment, run directly", { timeout: 90_000 }, () => {
  const children: ChildProcess[] = [];
  const asRoot = process.getuid?.() === 0;
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  });

  interface RunningPod {
    url: string;
    /** Mount path in the pod → the temp dir that stands in for its volume. */
    dirs: Map<string, string>;
    user: { uid: number; gid: number };
    logs(): string;
    /** SIGTERM, then the exit code, or "timeout" after terminationGracePeriodSeconds. */
    stop(): Promise<number | null | "timeout">;
    kill(): void;
  }

  /**
   * The workload's container as the pod runs it: its volumes as temp dirs (the ConfigMap's files read-only,
   * the others writable), its args mapped onto them, listening on 127.0.0.1:<free port> instead of :9093
   * (the flag wins over the variable), with the given environment; as root, as the pod's user with a
   * read-only root filesystem. Resolves once /-/healthy answers.
   */
  async function startPod(w: Workload, cm: ConfigMap, env: (dirs: Map<string, string>) => NodeJS.ProcessEnv): Promise<RunningPod> {
    const c = mainContainer(w);
    const user = { uid: podSpec(w).securityContext?.runAsUser ?? 0, gid: podSpec(w).securityContext?.runAsGroup ?? 0 };
    const dirs = new Map<string, string>();
    const writable: string[] = [];
    for (const m of c.volumeMounts ?? []) {
      const dir = makeTempDir(`k8s-${m.name}`);
      if ((podSpec(w).volumes ?? []).some((v) => v.name === m.name && v.configMap)) {
        for (const [f, text] of Object.entries(cm.data ?? {})) writeFileSync(join(dir, f), text);
        chmodSync(dir, 0o755);
      } else {
        assert.notEqual(m.readOnly, true, `${m.mountPath} is writable`);
        writable.push(dir);
        if (asRoot) chownSync(dir, user.uid, user.gid);
      }
      dirs.set(m.mountPath, dir);
    }
    const toHost = (arg: string): string => {
      const eq = arg.indexOf("=");
      const value = arg.slice(eq + 1);
      for (const [inside, outside] of dirs) {
        if (value === inside || value.startsWith(`${inside}/`)) return arg.slice(0, eq + 1) + join(outside, value.slice(inside.length));
      }
      return arg;
    };
    const port = await freePort();
    const args = (c.args ?? []).map((a) => (a.startsWith("--web.listen-address=") ? `--web.listen-address=127.0.0.1:${port}` : toHost(a)));
    // The image's ENTRYPOINT runs the built dist/src/main.js; the same code from source here.
    let logs = "";
    const command = [process.execPath, "--import", "tsx", join(REPO_ROOT, "src", "main.ts"), ...args];
    const [file, ...argv] = asRoot
      ? [requireBinary("unshare"), "--mount", "--propagation", "private", "sh", "-c", READ_ONLY_ROOT, "sh", String(user.uid), String(user.gid), writable.join(":"), ...command]
      : command;
    const child = spawn(file!, argv, { cwd: REPO_ROOT, env: env(dirs), stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    child.stdout.on("data", (d: Buffer) => (logs += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (logs += d.toString("utf8")));
    const exited = new Promise<number | null>((r) => child.once("close", (code) => r(code)));
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${url}/-/healthy`, 30_000, () => (child.exitCode !== null ? `exited with ${child.exitCode}` : undefined));
    } catch (err) {
      child.kill("SIGKILL");
      throw new Error(`${(err as Error).message}\n--- logs ---\n${logs}`, { cause: err });
    }
    return {
      url,
      dirs,
      user,
      logs: () => logs,
      kill: () => child.kill("SIGKILL"),
      stop: async () => {
        child.kill("SIGTERM");
        const grace = (podSpec(w).terminationGracePeriodSeconds ?? 30) * 1000;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), grace)));
        const code = await Promise.race([exited, timedOut]);
        clearTimeout(timer);
        return code;
      },
    };
  }

  /** Plain values and what the kubelet would put in; TMPDIR: the emptyDir stands in for /tmp. */
  const podEnv = (c: IContainer, fields: Record<string, string>, secrets: Record<string, string>) => (dirs: Map<string, string>): NodeJS.ProcessEnv =>
    ({ PATH: process.env.PATH, HOME: dirs.get("/tmp"), TMPDIR: dirs.get("/tmp"), ...containerEnv(c, fields, secrets) });

  async function assertProbes(c: IContainer, pod: RunningPod): Promise<void> {
    for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe]) {
      const res = await fetch(`${pod.url}${probe?.httpGet?.path}`);
      assert.equal(res.status, 200, `${probe?.httpGet?.path}; logs:\n${pod.logs()}`);
    }
    const receivers = (await (await fetch(`${pod.url}/api/v2/receivers`)).json()) as Array<{ name: string }>;
    assert.deepEqual(receivers.map((r) => r.name), ["watchdog", "p1", "p2", "email", "webhook"], "the example routing from the ConfigMap");
  }

  it("serve the probes with a read-only root filesystem, keep the database on the volume and stop cleanly", async (t) => {
    if (!asRoot) t.diagnostic("not root: running as the current user with a writable root filesystem");
    const objs = render(BASE);
    const sts = only(objs, StatefulSet);
    const c = mainContainer(sts);
    // No Secret here: its keys are optional, so the pod starts without them.
    const pod = await startPod(sts, only(objs, ConfigMap), podEnv(c, {}, {}));
    try {
      await assertProbes(c, pod);
      // A write: acknowledged only once committed to the database, on the claim's volume.
      const post = await fetch(`${pod.url}/api/v2/alerts`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify([{ labels: { alertname: "KubernetesPodTest" } }]) });
      assert.equal(post.status, 200, `${await post.text()}; logs:\n${pod.logs()}`);
      const dataDir = pod.dirs.get(argValue(c, "storage.path"));
      assert.ok(dataDir && existsSync(join(dataDir, "alertprism.db")), `the database is on the claim's volume; logs:\n${pod.logs()}`);
      if (asRoot) assert.equal(statSync(join(dataDir, "alertprism.db")).uid, pod.user.uid, "written as the pod's user");
    } catch (err) {
      pod.kill();
      throw err;
    }
    assert.equal(await pod.stop(), 0, `exits cleanly within terminationGracePeriodSeconds after SIGTERM; logs:\n${pod.logs()}`);
  });

  it("the ha pod's, on a throwaway PostgreSQL: the probes answer, it becomes the sender under its pod's name, writes nothing but /tmp, and leaves on SIGTERM", async (t) => {
    if (!asRoot) t.diagnostic("not root: the root filesystem stays writable, so a write outside /tmp would go unnoticed");
    const objs = render(HA_OVERLAY);
    const dep = only(objs, Deployment);
    const c = mainContainer(dep);
    const cluster = await startPostgres();
    t.after(() => cluster.stop());
    const url = await cluster.createDatabase("k8s_ha");
    const podName = "alertprism-6f7d9c8b5-x2k4q";
    const pod = await startPod(dep, only(objs, ConfigMap), podEnv(c, { "metadata.name": podName, "status.podIP": "127.0.0.1" }, { "alertprism-postgres/url": url }));
    const port = (c.ports ?? []).find((p) => p.name === "http")?.containerPort;
    try {
      await assertProbes(c, pod);
      // Alone, it takes the sender lease at once.
      type Health = { components: { cluster?: { role: string; replica: string } } };
      let health: Health | undefined;
      const deadline = Date.now() + 15_000;
      while ((health = (await (await fetch(`${pod.url}/health`)).json()) as Health).components.cluster?.role !== "sender" && Date.now() < deadline) await sleep(100);
      assert.deepEqual(health.components.cluster && { role: health.components.cluster.role, replica: health.components.cluster.replica }, { role: "sender", replica: podName }, pod.logs());
      const status = (await (await fetch(`${pod.url}/api/v2/status`)).json()) as { cluster: { status: string; name: string; peers: Array<{ name: string; address: string }> } };
      assert.equal(status.cluster.status, "ready");
      assert.equal(status.cluster.name, podName);
      assert.deepEqual(status.cluster.peers.map((p) => ({ name: p.name, address: p.address })), [{ name: podName, address: `127.0.0.1:${port}` }]);
      // A write, committed to PostgreSQL: the only writable place in the pod is /tmp.
      const post = await fetch(`${pod.url}/api/v2/alerts`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify([{ labels: { alertname: "KubernetesHaPodTest" } }]) });
      assert.equal(post.status, 200, `${await post.text()}; logs:\n${pod.logs()}`);
      assert.deepEqual([...pod.dirs.keys()].sort(), ["/etc/alertprism", "/tmp"]);
      assert.ok(!readdirSync(pod.dirs.get("/tmp")!).some((f) => f.startsWith("alertprism.db")), "no SQLite database in /tmp");
    } catch (err) {
      pod.kill();
      throw err;
    }
    assert.equal(await pod.stop(), 0, `exits cleanly within terminationGracePeriodSeconds after SIGTERM; logs:\n${pod.logs()}`);
    // It left the replicas at once (a clean stop releases the lease and removes its row).
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      assert.deepEqual((await client.query("SELECT id FROM ha_replicas")).rows, []);
    } finally {
      await client.end();
    }
  });
});
