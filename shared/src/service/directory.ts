/**
 * Where each service's internal HTTP API answers. Filled from configuration in distributed mode and as the
 * services come up in the all-in-one mode; looked up at call time, so start order does not matter.
 */
export type ServiceName = 'identity' | 'catalog' | 'billing' | 'detailing' | 'delegation' | 'gateway';

export class ServiceDirectory {
  private readonly urls = new Map<ServiceName, string>();

  constructor(initial: Partial<Record<ServiceName, string>> = {}) {
    for (const [name, url] of Object.entries(initial)) if (url) this.set(name as ServiceName, url);
  }

  set(name: ServiceName, baseUrl: string): void {
    this.urls.set(name, baseUrl.replace(/\/+$/, ''));
  }

  url(name: ServiceName): string {
    const url = this.urls.get(name);
    if (!url) throw new Error(`the address of the ${name} service is not known`);
    return url;
  }

  has(name: ServiceName): boolean {
    return this.urls.has(name);
  }
}
