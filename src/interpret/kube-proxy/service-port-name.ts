/**
 * kube-proxy's service port name `namespace/name:portName` (`ServicePortName.String()` in pkg/proxy/types.go,
 * kube-proxy.md §2). Since v1.19 an unnamed port prints as `namespace/name`; ≤1.18 printed `namespace/name:`.
 */
export interface ServicePortName {
  namespace: string;
  name: string;
  /** Undefined for an unnamed port (either spelling). */
  portName?: string;
  /** The name exactly as kube-proxy printed (and hashed) it. */
  text: string;
  /** True for the ≤1.18 spelling `ns/name:` of an unnamed port. */
  trailingColon: boolean;
}

/**
 * Namespace and name are DNS-1123 labels (lower-case alphanumerics and `-`); port names are IANA_SVC_NAME
 * (`pkg/apis/core/validation`), also lower-case alphanumerics and `-`.
 */
const SERVICE_PORT_NAME = /^([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\/([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)(?::([a-z0-9-]*))?$/;

/** Parses `ns/name:port`, `ns/name` or `ns/name:`; undefined when `text` is not shaped like one. */
export function parseServicePortName(text: string): ServicePortName | undefined {
  const m = SERVICE_PORT_NAME.exec(text);
  if (!m) return undefined;
  const port = m[3];
  return {
    namespace: m[1]!,
    name: m[2]!,
    ...(port ? { portName: port } : {}),
    text,
    trailingColon: port === '',
  };
}

/** The current (v1.19+) spelling of a service port name. */
export function formatServicePortName(namespace: string, name: string, portName: string | undefined): string {
  return portName ? `${namespace}/${name}:${portName}` : `${namespace}/${name}`;
}

/** The ≤1.18 spelling: always a colon, even for an unnamed port. */
export function formatLegacyServicePortName(namespace: string, name: string, portName: string | undefined): string {
  return `${namespace}/${name}:${portName ?? ''}`;
}

/** `ns/name` of a service port name, for messages about the Service as a whole. */
export function serviceOf(name: ServicePortName): string {
  return `${name.namespace}/${name.name}`;
}
