/**
 * Bench-only preload (`node --import`) for `npm run bench -- load`: records when each POST reaches this
 * process and when its answer is handed to the socket, and when each POST this process sends upstream
 * goes out and its answer's headers come back, keyed by the x-request-id every Petal tier forwards.
 * Times are CLOCK_MONOTONIC microseconds (process.hrtime), the same clock in every process on the machine,
 * so the three services' records line up into one timeline per request. Written to HTTP_TRACE_FILE on exit.
 * Wall time only (the patched methods add a few microseconds); nothing here ships in a service.
 */
import http from 'node:http';
import process from 'node:process';
import { writeFileSync } from 'node:fs';

const file = process.env.HTTP_TRACE_FILE;
if (file) {
  const records = [];
  const now = () => Number(process.hrtime.bigint() / 1000n);
  const arrivals = new WeakMap();

  const emit = http.Server.prototype.emit;
  http.Server.prototype.emit = function (event, req, res, ...rest) {
    if (event === 'request' && req.method === 'POST') arrivals.set(res, now());
    return emit.call(this, event, req, res, ...rest);
  };
  // Fastify passes its headers to writeHead, where getHeader no longer sees them: take the id there.
  const ids = new WeakMap();
  const writeHead = http.ServerResponse.prototype.writeHead;
  http.ServerResponse.prototype.writeHead = function (status, ...args) {
    const headers = args.find((a) => a !== null && typeof a === 'object' && !Array.isArray(a));
    const id = headers?.['x-request-id'] ?? this.getHeader('x-request-id');
    if (id !== undefined) ids.set(this, String(id));
    return writeHead.call(this, status, ...args);
  };
  const end = http.ServerResponse.prototype.end;
  http.ServerResponse.prototype.end = function (...args) {
    const arrived = arrivals.get(this);
    if (arrived !== undefined) records.push({ id: ids.get(this) ?? String(this.getHeader('x-request-id') ?? ''), role: 'server', start: arrived, end: now() });
    return end.apply(this, args);
  };
  const send = http.ClientRequest.prototype.end;
  http.ClientRequest.prototype.end = function (...args) {
    if (this.method === 'POST') {
      const sent = now();
      const id = String(this.getHeader('x-request-id') ?? '');
      this.once('response', () => records.push({ id, role: 'client', start: sent, end: now() }));
    }
    return send.apply(this, args);
  };
  process.on('exit', () => writeFileSync(file, JSON.stringify(records)));
}
