/* iamport-sandbox result page: hands the rsp object to the merchant page that opened the window. */
(function (window, document) {
  'use strict';
  var el = document.getElementById('imp-result');
  if (!el) { return; }
  var message = { type: 'iamport-sandbox-result', rsp: JSON.parse(el.getAttribute('data-rsp')) };
  var origin = el.getAttribute('data-origin') || '*';
  if (window.parent && window.parent !== window) {
    window.parent.postMessage(message, origin);
  } else if (window.opener) {
    window.opener.postMessage(message, origin);
    window.close();
  }
}(window, document));
