// The sign-up form's anti-spam checks: solves the site's proof-of-work challenge (ALTCHA,
// served by this site) in a worker (altcha-worker.js) into the form's hidden field, and keeps
// the submit button off until then and until the form's minimum time has passed (the server
// refuses a form sent back faster). Without JavaScript the page says the form cannot pass.
(function () {
  "use strict";
  function start(box) {
    var form = box.closest("form");
    var button = form ? form.querySelector("button[type=submit]") : null;
    var field = box.querySelector("input[type=hidden]");
    var status = box.querySelector("[data-altcha-status]");
    var waitMs = (Number(box.getAttribute("data-min-seconds")) || 0) * 1000 + 250;
    var solved = !box.hasAttribute("data-altcha");
    var waited = false;
    function say(text) { if (status && text) status.textContent = text; }
    function release() { if (button && solved && waited) button.disabled = false; }
    if (button) button.disabled = true;
    setTimeout(function () { waited = true; release(); }, waitMs);
    if (solved) return;
    var challenge;
    try { challenge = JSON.parse(box.getAttribute("data-altcha")); } catch (e) { solved = true; release(); return; }
    say(box.getAttribute("data-working"));
    function done(number, took) {
      if (number === null || number === undefined) {
        say(box.getAttribute("data-failed"));
      } else {
        field.value = btoa(JSON.stringify({
          algorithm: challenge.algorithm, challenge: challenge.challenge, number: number,
          salt: challenge.salt, signature: challenge.signature, took: took
        }));
        say(box.getAttribute("data-done"));
      }
      solved = true;
      release();
    }
    var worker;
    try {
      worker = new Worker(box.getAttribute("data-worker"));
    } catch (e) {
      done(null);
      return;
    }
    worker.onmessage = function (event) { done(event.data.number, event.data.took); worker.terminate(); };
    worker.onerror = function () { done(null); };
    worker.postMessage(challenge);
  }
  function init() { document.querySelectorAll("[data-signup-guard]").forEach(start); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
