// B17: "Submit" is enabled only when both passphrases match and the agreement is ticked;
// the server checks all of it again.
(function () {
  "use strict";
  var form = document.getElementById("set-passphrase-form");
  if (!form) { return; }
  var first = document.getElementById("passphrase");
  var second = document.getElementById("passphrase_confirm");
  var agreement = document.getElementById("agreement");
  var submit = document.getElementById("submit");
  function update() {
    submit.disabled = !(first.value && first.value === second.value && agreement.checked);
  }
  [first, second, agreement].forEach(function (el) {
    el.addEventListener("input", update);
    el.addEventListener("change", update);
  });
  update();
})();
