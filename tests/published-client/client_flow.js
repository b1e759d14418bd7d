// Runs iamport's own Node.js REST client (iamport-rest-client-nodejs, from npm, unchanged)
// against billkey: charge → lookup → schedule → unschedule → cancel. Only the base URL differs
// from a merchant's production code. Prints one JSON line per step; exits non-zero on the first
// step that does not answer as iamport would.
// usage: node client_flow.js BASE_URL KEY_NAME KEY CUSTOMER_UID RUN_ID
'use strict';
const { Iamport, Request } = require('iamport-rest-client-nodejs');
const { Subscribe, Payments } = Request;

const [baseUrl, keyName, key, customerUid, runId] = process.argv.slice(2);
if (!runId) {
  console.error('usage: node client_flow.js BASE_URL KEY_NAME KEY CUSTOMER_UID RUN_ID');
  process.exit(2);
}
const iamport = new Iamport({ apiKey: keyName, apiSecret: key, baseUrl });

function step(name, detail) {
  console.log(JSON.stringify(Object.assign({ step: name }, detail)));
}

function fail(name, error) {
  const body = error && error.response ? error.response.data : String(error);
  console.log(JSON.stringify({ step: name, error: body }));
  process.exit(1);
}

function expect(name, ok, detail) {
  if (!ok) fail(name, 'unexpected answer: ' + JSON.stringify(detail));
}

async function main() {
  const chargeUid = `npm_${runId}_charge`;
  const scheduleUid = `npm_${runId}_sched`;
  const at = Math.floor(Date.now() / 1000) + 3600;

  let res = await Subscribe.again({
    customer_uid: customerUid, merchant_uid: chargeUid, amount: 1500, name: 'npm client charge',
  }).request(iamport).catch((e) => fail('again', e));
  const paid = res.data.response;
  expect('again', paid.status === 'paid' && paid.amount === 1500 && paid.merchant_uid === chargeUid, paid);
  step('again', { imp_uid: paid.imp_uid, status: paid.status, amount: paid.amount });

  res = await Payments.getByImpUid({ imp_uid: paid.imp_uid }).request(iamport)
    .catch((e) => fail('getByImpUid', e));
  expect('getByImpUid', res.data.response.merchant_uid === chargeUid, res.data.response);
  res = await Payments.getByMerchantUid({ merchant_uid: chargeUid, status: 'paid' }).request(iamport)
    .catch((e) => fail('getByMerchantUid', e));
  expect('getByMerchantUid', res.data.response.imp_uid === paid.imp_uid, res.data.response);
  step('lookup', { imp_uid: res.data.response.imp_uid, status: res.data.response.status });

  res = await Subscribe.schedule({
    customer_uid: customerUid,
    schedules: [{ merchant_uid: scheduleUid, schedule_at: at, amount: 2500, name: 'npm client schedule' }],
  }).request(iamport).catch((e) => fail('schedule', e));
  const booked = res.data.response;
  expect('schedule', Array.isArray(booked) && booked.length === 1 && booked[0].merchant_uid === scheduleUid
    && new Date(booked[0].schedule_at).getTime() === at * 1000 // the client turns it into a Date
    && booked[0].schedule_status === 'scheduled', booked);
  res = await Subscribe.getScheduled({ merchant_uid: scheduleUid }).request(iamport)
    .catch((e) => fail('getScheduled', e));
  expect('getScheduled', res.data.response.amount === 2500, res.data.response);
  step('schedule', { merchant_uid: scheduleUid, schedule_at: at });

  res = await Subscribe.unschedule({ customer_uid: customerUid, merchant_uid: [scheduleUid] })
    .request(iamport).catch((e) => fail('unschedule', e));
  const revoked = res.data.response;
  expect('unschedule', Array.isArray(revoked) && revoked.length === 1
    && revoked[0].schedule_status === 'revoked', revoked);
  step('unschedule', { merchant_uid: revoked[0].merchant_uid, schedule_status: revoked[0].schedule_status });

  res = await Payments.cancel({ imp_uid: paid.imp_uid, reason: 'npm client test' }).request(iamport)
    .catch((e) => fail('cancel', e));
  const cancelled = res.data.response;
  expect('cancel', cancelled.status === 'cancelled' && cancelled.cancel_amount === 1500, cancelled);
  step('cancel', { imp_uid: cancelled.imp_uid, status: cancelled.status, cancel_amount: cancelled.cancel_amount });
  console.log('published client: 5 steps passed');
}

main().catch((e) => fail('unexpected', e));
