/* iamport-sandbox: a stand-in for https://cdn.iamport.kr/v1/iamport.js (IMP.init, IMP.request_pay). */
(function (window, document) {
  'use strict';

  var RESULT_TYPE = 'iamport-sandbox-result';
  var FRAME_ID = 'imp-sandbox-frame';
  var script = document.currentScript;
  var sandboxOrigin = originOf(script && script.src ? script.src : window.location.href);
  var state = { code: null, callback: null, frame: null };

  function originOf(url) {
    var a = document.createElement('a');
    a.href = url;
    var port = a.port && !((a.protocol === 'http:' && a.port === '80') ||
                           (a.protocol === 'https:' && a.port === '443')) ? ':' + a.port : '';
    return a.protocol + '//' + a.hostname + port;
  }

  /* ?mobile=1 on the merchant page, a phone/tablet user agent, or a viewport under 640 px. */
  function isMobile() {
    return /[?&]mobile=1(?:&|$)/.test(window.location.search) ||
      /Mobi|Android|iPhone|iPad/i.test(window.navigator.userAgent || '') ||
      (window.innerWidth > 0 && window.innerWidth < 640);
  }

  function provider(pg) {
    return String(pg || '').split('.')[0];
  }

  /* The same rule as the sandbox (tests/sandbox/sb_checkout_rules.c): CHAI always redirects,
   * KICC on mobile when m_redirect_url is given, NaverPay when naverPopupMode is false. */
  function redirects(params, mobile) {
    var p = provider(params.pg);
    if (p === 'chai') { return true; }
    if (p === 'kicc') { return mobile && !!params.m_redirect_url; }
    if (p === 'naverpay') { return params.naverPopupMode === false; }
    return false;
  }

  function windowUrl(params, mobile) {
    var url = sandboxOrigin + '/__sandbox/window?params=' +
      encodeURIComponent(JSON.stringify(params)) +
      '&mobile=' + (mobile ? '1' : '0') +
      '&origin=' + encodeURIComponent(originOf(window.location.href));
    if (state.code) { url += '&code=' + encodeURIComponent(state.code); }
    return url;
  }

  function closeFrame() {
    if (state.frame && state.frame.parentNode) { state.frame.parentNode.removeChild(state.frame); }
    state.frame = null;
  }

  function onMessage(event) {
    var data = event.data;
    if (event.origin !== sandboxOrigin || !data || data.type !== RESULT_TYPE) { return; }
    var callback = state.callback;
    state.callback = null;
    closeFrame();
    if (typeof callback === 'function') { callback(data.rsp); }
  }

  function openFrame(url) {
    var frame = document.createElement('iframe');
    frame.id = FRAME_ID;
    frame.name = FRAME_ID;
    frame.title = 'iamport sandbox PG window';
    frame.src = url;
    frame.style.position = 'fixed';
    frame.style.left = '0';
    frame.style.top = '0';
    frame.style.width = '100%';
    frame.style.height = '100%';
    frame.style.border = '0';
    frame.style.zIndex = '2147483647';
    frame.style.background = 'rgba(0,0,0,0.4)';
    document.body.appendChild(frame);
    return frame;
  }

  window.addEventListener('message', onMessage, false);

  window.IMP = {
    init: function (code) {
      state.code = code;
    },
    request_pay: function (params, callback) {
      var p = params || {};
      var mobile = isMobile();
      if (redirects(p, mobile)) {
        window.location.href = windowUrl(p, mobile);
        return;
      }
      closeFrame();
      state.callback = callback;
      state.frame = openFrame(windowUrl(p, mobile));
    }
  };
}(window, document));
