#!/usr/bin/env python3
"""Drives the sandbox checkout window in headless Chromium, the way a merchant page uses it.

usage: browser_check.py SANDBOX_BASE_URL
Serves a merchant page (strict CSP, loads SANDBOX/v1/iamport.js) on a free loopback port and runs:
callback approve (kakaopay, first charge), callback decline (payco), a pre-validation failure,
and the CHAI redirect to m_redirect_url. Prints one line per step; exits 0 when every step gave
the expected result, 1 otherwise, 2 when Chromium/Selenium are missing.
"""
import http.server
import json
import socketserver
import sys
import threading

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("python3-selenium is missing (scripts/deps.sh test installs it)")
    sys.exit(2)

APP_JS = b"""
document.getElementById('pay').addEventListener('click', function () {
  IMP.init('imp00000000');
  IMP.request_pay(JSON.parse(document.getElementById('params').value), function (rsp) {
    document.getElementById('out').textContent = JSON.stringify(rsp);
  });
});
"""


def merchant_server(sandbox):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, ctype, body, csp=None):
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            if csp:
                self.send_header("Content-Security-Policy", csp)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == "/page":
                page = ('<!doctype html><meta charset="utf-8"><textarea id="params"></textarea>'
                        '<button id="pay">pay</button><pre id="out"></pre>'
                        '<script src="%s/v1/iamport.js"></script><script src="/app.js"></script>'
                        % sandbox)
                csp = "default-src 'self'; script-src 'self' %s; frame-src %s" % (sandbox, sandbox)
                self.send("text/html; charset=utf-8", page.encode(), csp)
            elif self.path == "/app.js":
                self.send("application/javascript", APP_JS)
            elif self.path.startswith("/done"):
                self.send("text/html", b'<!doctype html><p id="landed">landed</p>')
            else:
                self.send_error(404)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    sandbox = sys.argv[1].rstrip("/")
    server = merchant_server(sandbox)
    merchant = "http://localhost:%d" % server.server_address[1]
    opts = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-proxy-server"):
        opts.add_argument(arg)
    opts.binary_location = "/usr/bin/chromium"
    try:
        driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"),
                                  options=opts)
    except Exception as exc:  # noqa: BLE001 - any start-up failure means "no browser here"
        print("cannot start chromium/chromedriver: %s" % exc)
        return 2
    wait = WebDriverWait(driver, 10)
    failures = []

    def expect(step, cond, detail):
        print("%s %s: %s" % ("ok" if cond else "FAIL", step, detail))
        if not cond:
            failures.append(step)

    def pay(params):
        driver.get(merchant + "/page")
        driver.execute_script("document.getElementById('params').value = arguments[0]",
                              json.dumps(params))
        driver.find_element(By.ID, "pay").click()

    def in_window(button):
        wait.until(lambda d: d.find_elements(By.ID, "imp-sandbox-frame"))
        driver.switch_to.frame("imp-sandbox-frame")
        wait.until(lambda d: d.find_elements(By.ID, button))
        driver.find_element(By.ID, button).click()
        driver.switch_to.default_content()

    def callback_rsp():
        wait.until(lambda d: d.find_element(By.ID, "out").text)
        return json.loads(driver.find_element(By.ID, "out").text)

    try:
        pay({"pg": "kakaopay.TCSUBSCRIP", "customer_uid": "browser-c1",
             "merchant_uid": "browser-m1", "amount": 1000, "name": "first"})
        in_window("approve")
        rsp = callback_rsp()
        expect("callback-approve", rsp.get("success") is True and
               rsp.get("merchant_uid") == "browser-m1" and rsp.get("paid_amount") == 1000 and
               not driver.find_elements(By.ID, "imp-sandbox-frame"), rsp)

        pay({"pg": "payco", "customer_uid": "browser-c2", "merchant_uid": "browser-m2",
             "amount": 0})
        in_window("decline")
        rsp = callback_rsp()
        expect("callback-decline", rsp.get("success") is False and
               rsp.get("error_msg") == "사용자가 결제를 취소하셨습니다", rsp)

        pay({"pg": "inicis", "customer_uid": "browser-c3", "merchant_uid": "browser-m3",
             "amount": 0})
        rsp = callback_rsp()
        expect("prevalidation", rsp.get("success") is False and
               "inicis" in (rsp.get("error_msg") or ""), rsp)

        pay({"pg": "chai", "pay_method": "trans", "customer_uid": "browser-c4",
             "merchant_uid": "browser-m4", "amount": 0,
             "m_redirect_url": merchant + "/done?x=1"})
        wait.until(lambda d: d.find_elements(By.ID, "approve"))
        driver.find_element(By.ID, "approve").click()
        wait.until(lambda d: d.find_elements(By.ID, "landed"))
        url = driver.current_url
        expect("chai-redirect", url.startswith(merchant + "/done?x=1&imp_uid=imp_") and
               url.endswith("&merchant_uid=browser-m4&imp_success=true"), url)

        errors = [e for e in driver.get_log("browser")
                  if e.get("level") == "SEVERE" and "favicon" not in e.get("message", "")]
        expect("console", not errors, errors)
    except Exception as exc:  # noqa: BLE001 - report any Selenium failure as a failed step
        expect("selenium", False, repr(exc))
    finally:
        driver.quit()
        server.shutdown()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
