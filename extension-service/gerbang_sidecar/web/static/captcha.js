// The widget's CSP-friendly build ships no proof-of-work worker: register the one our puzzles
// use (PBKDF2/SHA-256, adapters/captcha/altcha.py), from this sidecar.
(function () {
  "use strict";
  var worker = document.currentScript.dataset.worker;
  globalThis.$altcha.algorithms.set("PBKDF2/SHA-256", function () {
    return new Worker(worker);
  });
})();
