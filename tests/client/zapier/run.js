'use strict';
// Runs the generated Zapier app (manifests/zapier) in Zapier's own runtime, zapier-platform-core,
// against a live Backbone, the way Zapier's backend would drive it:
//   OAuth (authorize URL + PKCE, consent, token exchange, test, label, 401 -> refresh),
//   every REST-hook trigger (subscribe, a real delivery fed to perform, performList, its polling
//   twin, unsubscribe), every create (valid and invalid input; heavy ones through the callback
//   URL and performResume), every search (a match, nothing found, invalid input), and 429 -> ThrottledError.
// createAppTester runs everything except heavy performs, which need a reachable callback URL:
// createAppTester hard-codes one on zapier-staging.com, so those go through createAppHandler,
// loading the app from its directory exactly as Zapier's Lambda handler does.
//
// Usage: NODE_ENV=test NODE_PATH=<node_modules> CLIENT_ID=.. CLIENT_SECRET=.. node run.js <config.json>
// config: {appDir, baseUrl, controlUrl, redirectUri, ownerEmail, throttleAttempts}
const assert = require('assert/strict');
const crypto = require('crypto');
const fs = require('fs');

const { createAppHandler, createAppTester } = require('zapier-platform-core');
const { findSourceRequireFunctions } = require('zapier-platform-core/src/tools/schema-tools');
const { validateAppDefinition } = require('zapier-platform-schema');

const { control, describe, Listener, log, missingKeys, payload, rejection, step } = require('./harness');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const raw = require(config.appDir);
// Core compiles {source, args} into functions when it loads an app; createAppTester finds the
// method to run by function identity, so hand it the app compiled by core's own compiler.
const App = findSourceRequireFunctions(JSON.parse(JSON.stringify(raw)));
const appTester = createAppTester(App);
const handler = createAppHandler(config.appDir);
const ctl = control(config.controlUrl);
const auth = App.authentication;

const hookTriggers = Object.values(App.triggers).filter((t) => t.operation.type === 'hook');
const pollingTriggers = Object.values(App.triggers).filter((t) => t.operation.type === 'polling');

const oauth = async (state) => {
  await step('oauth: authorizeUrl + PKCE challenge, consent, getAccessToken', async () => {
    const inputData = { base_url: `${config.baseUrl}/`, state: 'zap-state-1', redirect_uri: config.redirectUri };
    let url = await appTester(auth.oauth2Config.authorizeUrl, { inputData });
    assert.ok(url.startsWith(`${config.baseUrl}/oauth/authorize?`), url);
    // enablePkce: Zapier's backend appends the challenge and later passes the verifier.
    const verifier = crypto.randomBytes(48).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    url += `&code_challenge=${challenge}&code_challenge_method=S256`;
    const { location } = await ctl('/consent', { url });
    const back = new URL(location);
    assert.equal(`${back.origin}${back.pathname}`, config.redirectUri);
    assert.equal(back.searchParams.get('state'), inputData.state);
    const tokens = await appTester(auth.oauth2Config.getAccessToken, {
      inputData: { ...inputData, code: back.searchParams.get('code'), code_verifier: verifier },
    });
    assert.ok(tokens.access_token && tokens.refresh_token, JSON.stringify(tokens));
    assert.equal(tokens.base_url, config.baseUrl); // trailing slash dropped, kept for later calls
    state.authData = tokens;
    return 'access and refresh token, base_url in authData';
  });
  await step('oauth: test (GET /api/v1/me) and connection label', async () => {
    const me = await appTester(auth.test, { authData: state.authData });
    assert.equal(me.email, config.ownerEmail);
    const label = await appTester(auth.connectionLabel, { authData: state.authData, inputData: me });
    assert.equal(label, me.label);
    return `label "${label}"`;
  });
  await step('oauth: expired access token -> 401 -> RefreshAuthError', async () => {
    const { expired } = await ctl('/expire', { access_token: state.authData.access_token });
    assert.equal(expired, 1);
    const err = await rejection(appTester(auth.test, { authData: state.authData }), 'test with an expired token');
    assert.equal(err.name, 'RefreshAuthError', describe(err));
    return err.name;
  });
  await step('oauth: refreshAccessToken, then test succeeds', async () => {
    const fresh = await appTester(auth.oauth2Config.refreshAccessToken, { authData: state.authData });
    assert.ok(fresh.access_token && fresh.access_token !== state.authData.access_token);
    assert.ok(fresh.refresh_token && fresh.refresh_token !== state.authData.refresh_token, 'refresh token rotates');
    state.authData = { ...state.authData, ...fresh };
    assert.equal(state.authData.base_url, config.baseUrl);
    const me = await appTester(auth.test, { authData: state.authData });
    assert.equal(me.email, config.ownerEmail);
    return 'new pair (refresh token rotated)';
  });
};

const hookTrigger = async (trigger, state, listener) => {
  const key = trigger.key;
  const op = trigger.operation;
  const polling = App.triggers[`${key}_polling`];
  const authData = state.authData;
  const targetUrl = `${listener.url}/hooks/${key}`;
  let subscription;
  let delivered;
  await step(`${key}: performSubscribe`, async () => {
    subscription = await appTester(op.performSubscribe, { authData, targetUrl, inputData: {} });
    assert.ok(subscription.id && subscription.secret, JSON.stringify(subscription));
    assert.equal(subscription.target_url, targetUrl);
    return `hook ${subscription.id}`;
  });
  await step(`${key}: signed sandbox webhook -> delivery -> perform`, async () => {
    const fired = await ctl('/fire', { trigger: key });
    const request = await listener.waitFor(`/hooks/${key}`, 15000);
    const items = await appTester(op.perform, {
      authData,
      inputData: {},
      subscribeData: subscription,
      cleanedRequest: request.json,
      rawRequest: { method: 'POST', headers: request.headers, content: request.content, querystring: '' },
    });
    assert.equal(items.length, 1);
    [delivered] = items;
    assert.deepEqual(missingKeys(op.sample, delivered), []);
    for (const [field, value] of Object.entries(fired.match)) assert.equal(delivered[field], value, field);
    return `${fired.topic} item ${delivered.id}`;
  });
  await step(`${key}: performList (newest first, unique ids)`, async () => {
    const items = await appTester(op.performList, { authData, inputData: {} });
    assert.ok(Array.isArray(items) && items.length >= 1);
    assert.equal(items[0].id, delivered.id);
    assert.equal(new Set(items.map((i) => i.id)).size, items.length);
    assert.deepEqual(missingKeys(op.sample, items[0]), []);
    return `${items.length} item(s)`;
  });
  await step(`${key}_polling: perform`, async () => {
    assert.ok(polling, `no polling twin for ${key}`);
    const items = await appTester(polling.operation.perform, { authData, inputData: {} });
    assert.equal(items[0].id, delivered.id);
    assert.deepEqual(missingKeys(polling.operation.sample, items[0]), []);
    return `${items.length} item(s)`;
  });
  await step(`${key}: performUnsubscribe (twice: a hook already gone is fine)`, async () => {
    const bundle = { authData, subscribeData: subscription, targetUrl, inputData: {} };
    const first = await appTester(op.performUnsubscribe, bundle);
    assert.equal(first.deleted, true);
    const again = await appTester(op.performUnsubscribe, bundle);
    assert.equal(again.deleted, false);
    return 'deleted';
  });
};

const invalidInput = async (create, inputs, state) => {
  await step(`${create.key}: invalid input -> error naming the fields`, async () => {
    const err = await rejection(
      appTester(create.operation.perform, { authData: state.authData, inputData: inputs.invalid }),
      'perform with invalid input',
    );
    const { message, status } = payload(err);
    assert.equal(err.name, 'AppError', describe(err));
    assert.equal(status, 422);
    for (const field of inputs.invalid_fields) assert.ok(message.includes(field), `${field} not named: ${message}`);
    return message;
  });
};

const fastCreate = async (create, inputs, state) => {
  await step(`${create.key}: perform`, async () => {
    const result = await appTester(create.operation.perform, { authData: state.authData, inputData: inputs.valid });
    assert.deepEqual(missingKeys(create.operation.sample, result), []);
    return JSON.stringify(result).slice(0, 120);
  });
};

const heavyCreate = async (create, inputs, state, listener) => {
  const op = create.operation;
  const path = `/callbacks/${create.key}`;
  let accepted;
  await step(`${create.key}: perform with X-Callback-Url -> 202, task waits (CALLBACK)`, async () => {
    const envelope = await handler({
      command: 'execute',
      method: `creates.${create.key}.operation.perform`,
      bundle: { authData: state.authData, inputData: inputs.valid },
      callback_url: `${listener.url}${path}`,
    });
    assert.equal(envelope.status, 'CALLBACK', JSON.stringify(envelope));
    accepted = envelope.results;
    assert.ok(accepted.run_id && accepted.status === 'queued', JSON.stringify(accepted));
    return `run ${accepted.run_id}`;
  });
  await step(`${create.key}: Backbone POSTs the outcome -> performResume`, async () => {
    const callback = await listener.waitFor(path, 20000);
    assert.equal(callback.json.run_id, accepted.run_id);
    assert.equal(callback.json.status, 'succeeded', callback.content);
    const result = await appTester(op.performResume, {
      authData: state.authData, inputData: inputs.valid, outputData: accepted, cleanedRequest: callback.json,
    });
    assert.deepEqual(missingKeys(op.sample, result), []);
    return JSON.stringify(result).slice(0, 120);
  });
  await step(`${create.key}: performResume of a failed run -> clear error`, async () => {
    const field = inputs.invalid_fields[0];
    const failed = {
      run_id: accepted.run_id, action: create.key, status: 'failed', result: null,
      error: { code: 'invalid_input', message: 'Invalid input.', fields: [{ field, message: 'Bad value.' }] },
    };
    const err = await rejection(
      appTester(op.performResume, { authData: state.authData, outputData: accepted, cleanedRequest: failed }),
      'performResume of a failed run',
    );
    const { message } = payload(err);
    assert.ok(message.startsWith(`${create.display.label} failed`) && message.includes(field), message);
    return message;
  });
};

const search = async (found, inputs, state) => {
  const op = found.operation;
  await step(`${found.key}: perform -> a list, the first result as expected`, async () => {
    const results = await appTester(op.perform, { authData: state.authData, inputData: inputs.valid });
    assert.ok(Array.isArray(results) && results.length >= 1, JSON.stringify(results).slice(0, 300));
    assert.deepEqual(missingKeys(op.sample, results[0]), []);
    for (const [field, value] of Object.entries(inputs.match)) assert.equal(results[0][field], value, field);
    return `${results.length} result(s), first ${JSON.stringify(results[0]).slice(0, 100)}`;
  });
  await step(`${found.key}: nothing found -> [] (not an error)`, async () => {
    const results = await appTester(op.perform, { authData: state.authData, inputData: inputs.none });
    assert.deepEqual(results, []);
    return '[]';
  });
  await invalidInput(found, inputs, state);
};

const throttle = async (state) => {
  const poll = pollingTriggers[0];
  await step(`429 from the rate limit (${poll.key} polled in a loop) -> ThrottledError with Retry-After`, async () => {
    for (let attempt = 1; attempt <= config.throttleAttempts; attempt += 1) {
      try {
        await appTester(poll.operation.perform, { authData: state.authData, inputData: {} });
      } catch (err) {
        assert.equal(err.name, 'ThrottledError', describe(err));
        const { delay } = payload(err);
        assert.ok(Number.isInteger(delay) && delay >= 1, `delay ${delay}`);
        return `after ${attempt} calls, retry in ${delay} s`;
      }
    }
    throw new Error(`no 429 within ${config.throttleAttempts} calls`);
  });
};

const main = async () => {
  const listener = await new Listener().start();
  const state = {};
  try {
    log(`app ${raw.version} on zapier-platform-core ${raw.platformVersion}; ${hookTriggers.length} hook and `
      + `${pollingTriggers.length} polling triggers, ${Object.keys(App.creates).length} creates, `
      + `${Object.keys(App.searches || {}).length} searches`);
    assert.deepEqual(pollingTriggers.map((t) => t.key).sort(), hookTriggers.map((t) => `${t.key}_polling`).sort());
    await step('zapier-platform-schema validateAppDefinition and core `validate`', async () => {
      assert.deepEqual(validateAppDefinition(raw).errors.map((e) => `${e.property}: ${e.message}`), []);
      assert.deepEqual((await handler({ command: 'validate', bundle: {} })).results, []);
      return 'no errors';
    });
    await oauth(state);
    for (const trigger of hookTriggers) await hookTrigger(trigger, state, listener);
    for (const create of Object.values(App.creates)) {
      const inputs = await ctl('/inputs', { action: create.key });
      if (create.operation.performResume) await heavyCreate(create, inputs, state, listener);
      else await fastCreate(create, inputs, state);
      await invalidInput(create, inputs, state);
    }
    for (const found of Object.values(App.searches || {})) {
      await search(found, await ctl('/search_inputs', { search: found.key }), state);
    }
    await throttle(state);
    log('all steps passed');
  } finally {
    listener.close();
  }
};

main().catch((err) => {
  log(`driver failed: ${describe(err)}`);
  process.exitCode = 1;
});
