'use strict';
// Helpers for run.js: a readable step log, an HTTP listener standing in for Zapier's hook and
// callback endpoints, the client of the pytest-side control server, and error helpers.
const http = require('http');

const started = Date.now();

const log = (line) => {
  const at = String(Date.now() - started).padStart(6, ' ');
  process.stdout.write(`[${at} ms] ${line}\n`);
};

// Zapier's errors carry JSON in their message: {message, code, status} or {message, delay}.
const payload = (err) => {
  try {
    return JSON.parse(err.message);
  } catch (parseError) {
    return { message: err && err.message };
  }
};

const describe = (err) => `${err && err.name}: ${err && err.message}`;

const step = async (name, fn) => {
  const t0 = Date.now();
  try {
    const detail = await fn();
    log(`ok   ${name}${detail ? ` -> ${detail}` : ''} (${Date.now() - t0} ms)`);
  } catch (err) {
    log(`FAIL ${name}: ${describe(err)}`);
    throw err;
  }
};

// The error a promise rejects with; fails when it resolves.
const rejection = async (promise, what) => {
  let value;
  try {
    value = await promise;
  } catch (err) {
    return err;
  }
  throw new Error(`${what} should have failed but returned ${JSON.stringify(value).slice(0, 300)}`);
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Records every POST by path and answers 200 {} (what Zapier's hook and callback URLs do).
class Listener {
  constructor() {
    this.received = [];
    this.server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        const content = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try {
          json = JSON.parse(content);
        } catch (err) {
          json = null;
        }
        this.received.push({ path: req.url, method: req.method, headers: req.headers, content, json });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
  }

  start() {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        this.url = `http://127.0.0.1:${this.server.address().port}`;
        resolve(this);
      });
    });
  }

  async waitFor(path, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((r) => r.path === path);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`nothing was POSTed to ${path} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  close() {
    this.server.close();
  }
}

// The pytest side: consent in a browser session, token expiry, sandbox events, action inputs.
const control = (baseUrl) => async (path, body) => {
  const response = await fetch(baseUrl + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`control ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text);
};

const missingKeys = (sample, item) => Object.keys(sample).filter((key) => !(key in (item || {})));

module.exports = { control, describe, Listener, log, missingKeys, payload, rejection, step };
