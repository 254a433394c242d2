import { expect } from 'chai';
import http from 'node:http';
import { freshDatabaseUrl } from '../support/databases';
import { startMain } from '../support/main-process';

describe('SIGTERM', () => {
  it('stops accepting, finishes the request in flight, then exits 0', async () => {
    const { child, port } = await startMain({ NODE_ENV: 'test', DATABASE_URL: await freshDatabaseUrl(), SESSION_SECRET: 'x'.repeat(40) });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    // A request whose body is still arriving when the signal comes: it is in flight.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/healthz', method: 'GET', headers: { 'content-length': '10' } }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write('01234');
      setTimeout(() => {
        child.kill('SIGTERM');
        // New connections are refused once the server stopped listening.
        setTimeout(() => {
          const probe = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false });
          probe.on('response', () => reject(new Error('a new connection was accepted after SIGTERM')));
          probe.on('error', () => req.end('56789'));
        }, 300);
      }, 200);
    });

    const res = await answer;
    expect(res.status).to.equal(200);
    expect(JSON.parse(res.body)).to.deep.equal({ status: 'ok', db: 'ok' });
    expect(await exited).to.equal(0);
  });
});
