// Minimal typings for the parts of autocannon's programmatic API the benchmarks use
// (autocannon ships no types and @types/autocannon is not installed).
declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }

  interface Client {
    setHeaders(headers: Record<string, string>): void;
    /** Each answer: its status, size and latency in ms. */
    on(event: 'response', listener: (statusCode: number, bytes: number, responseTime: number) => void): void;
  }

  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    pipelining?: number;
    timeout?: number;
    headers?: Record<string, string>;
    setupClient?: (client: Client) => void;
  }

  interface Result {
    requests: Histogram;
    latency: Histogram;
    throughput: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    duration: number;
  }

  function autocannon(options: Options, callback: (err: Error | null, result: Result) => void): unknown;
  export default autocannon;
  export type { Client, Histogram, Options, Result };
}
