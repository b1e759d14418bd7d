/* billkey demo checkout: loads the iamport SDK, creates a checkout, opens the window, shows the verified result. */
/*
 * A merchant can copy this file. The flow:
 *   1. GET /checkout/config → {imp_code, sdk_url, sandbox_mode, pgs:[{provider, label}]}
 *   2. add a <script src=sdk_url> (the real https://cdn.iamport.kr/v1/iamport.js in production,
 *      the iamport-sandbox's stand-in when IAMPORT_SDK_URL points at it)
 *   3. on submit: create the checkout. In this demo (sandbox mode only) the page calls
 *      POST /demo/checkouts itself. IN PRODUCTION THE MERCHANT'S BACKEND calls
 *      POST /api/checkouts with its merchant API key (never put that key in a page) and hands
 *      the answer's `request_pay` object to the page; replace createCheckout() with a call to
 *      your own backend.
 *   4. IMP.init(imp_code); IMP.request_pay(request_pay, callback) — request_pay is passed exactly
 *      as billkey built it (pg, pay_method, amount, customer_uid, m_redirect_url, NaverPay's
 *      options).
 *   5. callback: POST /payments/complete {imp_uid, merchant_uid}. billkey re-reads the payment
 *      from iamport; rsp.success is never trusted. Redirect flows (mobile KICC, CHAI, NaverPay
 *      without popup) never return here: the browser lands on /payments/complete/mobile, which
 *      billkey renders.
 * Everything shown comes from data and is written with textContent, never as HTML.
 */
(function (window, document) {
  'use strict';

  var PROVIDER_PATTERN = /^[a-z][a-z0-9]{0,15}$/;
  /* Which input an `error.field` from billkey refers to. */
  var FIELD_INPUTS = {
    customer_id: 'customer-id',
    buyer_name: 'buyer-name',
    buyer_email: 'buyer-email',
    buyer_tel: 'buyer-tel',
    naver_popup: 'naver-popup',
    charge_now: 'charge-now'
  };
  var FIRST_PAYMENT_LABELS = {
    paid: '결제 완료',
    failed: '결제 실패',
    requested: '처리 중',
    unknown: '확인 중 (billkey가 iamport와 대조해 정리합니다)',
    cancelled: '취소됨'
  };
  /* Answers of /payments/complete that mean "billkey recorded this registration as failed". */
  var FAILED_CODES = { registration_failed: true, payment_rejected: true };

  var state = { config: null, ready: false, busy: false, labels: {}, telRequired: {},
                pendingVerify: null, customerId: null };

  function byId(id) {
    return document.getElementById(id);
  }

  function removeChildren(node) {
    while (node.firstChild) { node.removeChild(node.firstChild); }
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  /* fetch with a JSON body; resolves {status, body} (body null when the answer is not JSON),
   * rejects only when no answer arrived. */
  function requestJson(method, url, payload) {
    var init = {
      method: method,
      headers: { Accept: 'application/json' },
      credentials: 'same-origin',
      cache: 'no-store'
    };
    if (payload !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(payload);
    }
    return window.fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (ignored) { body = null; }
        return { status: response.status, body: body };
      });
    });
  }

  /* billkey's one error shape {"error":{code, message, field?}}, or a stand-in naming the status. */
  function errorOf(answer) {
    var error = answer.body && answer.body.error;
    if (error && typeof error.message === 'string') {
      return { code: String(error.code || ''), message: error.message,
               field: typeof error.field === 'string' ? error.field : null };
    }
    return { code: 'http_' + answer.status, field: null,
             message: 'billkey 서버가 예상하지 못한 응답을 보냈습니다 (HTTP ' + answer.status + ').' };
  }

  function networkMessage() {
    return 'billkey 서버에 연결하지 못했습니다. 네트워크를 확인하고 다시 시도해 주세요.';
  }

  /* ---- result box ---- */

  /* Shows "working" text; the box has no data-status until the outcome is known. */
  function showProgress(text) {
    var box = byId('result');
    removeChildren(box);
    box.removeAttribute('data-status');
    box.removeAttribute('data-merchant-uid');
    box.appendChild(element('p', 'progress', text));
    box.hidden = false;
  }

  /* status (the same words billkey's landing page uses): "active" (billkey verified and stored
   * the key), "failed" (the registration did not happen: the window was closed or failed, or
   * billkey recorded it as failed or rejected), "error" (no outcome: input was refused, or
   * billkey/iamport could not be reached — the registration may still be pending). */
  function showResult(status, title, message, rows, merchantUid) {
    var box = byId('result');
    removeChildren(box);
    box.appendChild(element('h2', null, title));
    if (message) { box.appendChild(element('p', 'message', message)); }
    if (rows && rows.length) {
      var list = element('dl');
      rows.forEach(function (row) {
        list.appendChild(element('dt', null, row[0]));
        list.appendChild(element('dd', null, row[1]));
      });
      box.appendChild(list);
    }
    if (status === 'error' && state.pendingVerify) {
      var retry = element('button', 'secondary', '등록 결과 다시 확인');
      retry.type = 'button';
      retry.id = 'retry-verify';
      retry.addEventListener('click', function () { verify(state.pendingVerify); });
      box.appendChild(retry);
    }
    if (merchantUid) { box.setAttribute('data-merchant-uid', merchantUid); }
    box.setAttribute('data-status', status);
    box.hidden = false;
    setBusy(false);
    if (typeof box.scrollIntoView === 'function') { box.scrollIntoView({ block: 'nearest' }); }
  }

  function won(amount) {
    var n = Number(amount);
    return (isFinite(n) ? n.toLocaleString('ko-KR') : String(amount)) + '원';
  }

  function firstPaymentText(first) {
    if (!first) { return '없음 (등록만 했습니다)'; }
    var label = FIRST_PAYMENT_LABELS[first.status] || String(first.status);
    return won(first.amount) + ' · ' + label;
  }

  function showActive(result) {
    var rows = [
      ['고객 ID', state.customerId || ''],
      ['결제수단', state.labels[result.pg_provider] || result.pg || ''],
      ['카드', result.card_name || '(iamport에서 카드 정보를 받지 못했습니다)'],
      ['카드 번호', result.card_number || '-'],
      ['첫 결제', firstPaymentText(result.first_payment)],
      ['주문번호 (merchant_uid)', result.merchant_uid || '']
    ];
    showResult('active', '등록 완료', '정기결제 수단이 등록되었습니다.', rows, result.merchant_uid);
  }

  /* ---- verification (the callback flow) ---- */

  function verify(pending) {
    state.pendingVerify = pending;
    setBusy(true);
    showProgress('iamport에 등록 결과를 확인하는 중…');
    requestJson('POST', '/payments/complete', pending).then(function (answer) {
      var body = answer.body || {};
      if (answer.status === 200 && body.status === 'active') {
        state.pendingVerify = null;
        showActive(body);
        return;
      }
      if (answer.status === 200 && body.status === 'failed') {
        state.pendingVerify = null;
        showResult('failed', '등록 실패', body.fail_reason || '결제수단을 등록하지 못했습니다.',
                   null, pending.merchant_uid);
        return;
      }
      var error = errorOf(answer);
      if (FAILED_CODES[error.code]) {
        state.pendingVerify = null;
        showResult('failed', '등록 실패', error.message, null, pending.merchant_uid);
        return;
      }
      showResult('error', '등록 결과를 확인하지 못했습니다', error.message, null, pending.merchant_uid);
    }, function () {
      showResult('error', '등록 결과를 확인하지 못했습니다', networkMessage(), null,
                 pending.merchant_uid);
    });
  }

  /* The IMP.request_pay callback. Only imp_uid matters: billkey asks iamport what happened. */
  function onWindowResult(checkout, rsp) {
    var impUid = rsp && typeof rsp.imp_uid === 'string' && rsp.imp_uid ? rsp.imp_uid : null;
    if (!impUid) {
      /* Nothing reached iamport (the window was closed, or it refused the request): there is
       * nothing to verify, so show the window's own message. */
      var message = rsp && typeof rsp.error_msg === 'string' && rsp.error_msg
        ? rsp.error_msg : '결제창이 결과 없이 닫혔습니다.';
      state.pendingVerify = null;
      showResult('failed', '결제수단을 등록하지 못했습니다', message, null, checkout.merchant_uid);
      return;
    }
    verify({ imp_uid: impUid, merchant_uid: checkout.merchant_uid });
  }

  /* ---- checkout creation and the window ---- */

  function selectedProvider() {
    var checked = document.querySelector('input[name="pg"]:checked');
    return checked ? checked.value : null;
  }

  function readForm() {
    var plan = document.querySelector('input[name="plan"]:checked');
    var provider = selectedProvider();
    var body = {
      customer_id: byId('customer-id').value.trim(),
      pg: provider,
      amount: Number(plan.value),
      name: plan.getAttribute('data-name'),
      charge_now: byId('charge-now').checked,
      mobile: byId('mobile').checked
    };
    [['buyer_name', 'buyer-name'], ['buyer_email', 'buyer-email'], ['buyer_tel', 'buyer-tel']]
      .forEach(function (pair) {
        var value = byId(pair[1]).value.trim();
        if (value) { body[pair[0]] = value; }
      });
    if (provider === 'naverpay') { body.naver_popup = byId('naver-popup').checked; }
    return body;
  }

  /* DEMO ONLY: POST /demo/checkouts exists only when billkey runs with SANDBOX_MODE=1. A real
   * shop's page asks its own backend, which calls POST /api/checkouts with the merchant key. */
  function createCheckout(form) {
    return requestJson('POST', '/demo/checkouts', form).then(function (answer) {
      var body = answer.body;
      if (answer.status === 201 && body && typeof body.merchant_uid === 'string' &&
          body.request_pay && typeof body.request_pay === 'object') {
        return body;
      }
      var error = errorOf(answer);
      markInvalid(error.field);
      throw error;
    }, function () {
      throw { code: 'network', message: networkMessage(), field: null };
    });
  }

  function openWindow(checkout) {
    showProgress('결제창을 여는 중…');
    window.IMP.init(state.config.imp_code);
    window.IMP.request_pay(checkout.request_pay, function (rsp) {
      onWindowResult(checkout, rsp);
    });
  }

  function onSubmit(event) {
    event.preventDefault();
    if (!state.ready || state.busy) { return; }
    clearInvalid();
    state.pendingVerify = null;
    setBusy(true);
    showProgress('결제를 준비하는 중…');
    var form = readForm();
    state.customerId = form.customer_id;
    createCheckout(form).then(openWindow).catch(function (error) {
      var message = error && typeof error.message === 'string' ? error.message : String(error);
      showResult('error', '결제를 시작하지 못했습니다', message, null, null);
    });
  }

  /* ---- form state ---- */

  function setBusy(busy) {
    state.busy = busy;
    byId('register').disabled = busy || !state.ready;
  }

  function clearInvalid() {
    Array.prototype.forEach.call(document.querySelectorAll('.invalid'), function (node) {
      node.classList.remove('invalid');
      node.removeAttribute('aria-invalid');
    });
  }

  function markInvalid(field) {
    var input = field && Object.prototype.hasOwnProperty.call(FIELD_INPUTS, field)
      ? byId(FIELD_INPUTS[field]) : null;
    if (!input) { return; }
    input.classList.add('invalid');
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }

  function onProviderChange() {
    var provider = selectedProvider();
    var telRequired = state.telRequired[provider] === true;
    byId('naver-options').hidden = provider !== 'naverpay';
    byId('tel-required').hidden = !telRequired;
    if (telRequired) { byId('buyer-tel').setAttribute('aria-required', 'true'); }
    else { byId('buyer-tel').removeAttribute('aria-required'); }
  }

  /* The sandbox's SDK stand-in takes "mobile" from ?mobile=1 on this page's URL (the real SDK
   * looks at the user agent), so the toggle keeps the URL in step; billkey gets the flag too.
   * NaverPay follows it: page redirect on mobile (what NaverPay's reviewers recommend), the
   * popup on PC; the box may still be changed after. */
  function onMobileChange() {
    byId('naver-popup').checked = !byId('mobile').checked;
    var params = new window.URLSearchParams(window.location.search);
    if (byId('mobile').checked) { params.set('mobile', '1'); } else { params.delete('mobile'); }
    var query = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (query ? '?' + query : ''));
  }

  function renderProviders(pgs) {
    var list = byId('pg-list');
    removeChildren(list);
    pgs.forEach(function (pg, index) {
      if (!pg || typeof pg.provider !== 'string' || !PROVIDER_PATTERN.test(pg.provider)) { return; }
      var label = typeof pg.label === 'string' && pg.label ? pg.label : pg.provider;
      state.labels[pg.provider] = label;
      /* NaverPay needs the buyer's phone number (billkey says which PGs do). */
      state.telRequired[pg.provider] = pg.buyer_tel_required === true || pg.provider === 'naverpay';
      var input = element('input');
      input.type = 'radio';
      input.name = 'pg';
      input.id = 'pg-' + pg.provider;
      input.value = pg.provider;
      input.checked = index === 0;
      input.addEventListener('change', onProviderChange);
      var wrapper = element('label', 'choice pg-choice');
      wrapper.appendChild(input);
      wrapper.appendChild(document.createTextNode(' ' + label));
      list.appendChild(wrapper);
    });
    if (!list.firstChild) { list.appendChild(element('p', 'muted', '사용할 수 있는 결제수단이 없습니다.')); }
    onProviderChange();
  }

  function showModeNote(sandbox) {
    var note = byId('mode-note');
    note.textContent = sandbox
      ? '샌드박스 모드: 결제창은 iamport-sandbox가 흉내 낸 것이며 실제 카드는 청구되지 않습니다.'
      : '운영 모드: 이 데모 페이지는 결제를 만들 수 없습니다. 실제 서비스에서는 가맹점 서버가 ' +
        '가맹점 API 키로 POST /api/checkouts 를 호출하고, 받은 request_pay 를 페이지에 넘겨 ' +
        'IMP.request_pay 를 호출합니다.';
    note.className = sandbox ? 'note' : 'note warning';
    note.hidden = false;
  }

  function loadConfig() {
    return requestJson('GET', '/checkout/config').then(function (answer) {
      var config = answer.body;
      if (answer.status !== 200 || !config || typeof config.sdk_url !== 'string') {
        throw new Error('결제 설정을 불러오지 못했습니다: ' + errorOf(answer).message);
      }
      return config;
    }, function () {
      throw new Error(networkMessage());
    });
  }

  /* Adds <script src=url> (a script element: the CSP allows this service and the SDK's origin). */
  function loadSdk(url) {
    return new Promise(function (resolve, reject) {
      if (!/^https?:\/\/[^\s]+$/i.test(url)) {
        reject(new Error('iamport SDK 주소가 올바르지 않습니다: ' + url));
        return;
      }
      var script = document.createElement('script');
      script.src = url;
      script.async = true;
      script.addEventListener('load', function () {
        if (window.IMP && typeof window.IMP.request_pay === 'function') { resolve(); }
        else { reject(new Error('iamport SDK에 IMP.request_pay 가 없습니다: ' + url)); }
      });
      script.addEventListener('error', function () {
        reject(new Error('iamport SDK를 불러오지 못했습니다: ' + url));
      });
      document.head.appendChild(script);
    });
  }

  function randomCustomerId() {
    var bytes = new Uint8Array(6);
    window.crypto.getRandomValues(bytes);
    return 'demo-' + Array.prototype.map.call(bytes, function (b) {
      return ('0' + b.toString(16)).slice(-2);
    }).join('');
  }

  function start() {
    byId('customer-id').value = randomCustomerId();
    byId('mobile').checked = /[?&]mobile=1(?:&|$)/.test(window.location.search);
    byId('naver-popup').checked = !byId('mobile').checked;
    byId('mobile').addEventListener('change', onMobileChange);
    byId('checkout-form').addEventListener('submit', onSubmit);
    loadConfig().then(function (config) {
      state.config = config;
      renderProviders(Array.isArray(config.pgs) ? config.pgs : []);
      var sandbox = config.sandbox_mode === true || config.sandbox_mode === 1;
      showModeNote(sandbox);
      if (!sandbox) { return null; }
      return loadSdk(config.sdk_url).then(function () {
        state.ready = true;
        setBusy(false);
      });
    }).catch(function (error) {
      showResult('error', '결제를 준비하지 못했습니다', error.message, null, null);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}(window, document));
