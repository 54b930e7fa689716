// B3: show the fields of the chosen employment status only (without script both stay).
(function () {
  "use strict";
  var asn = document.getElementById("asn-fields");
  var other = document.getElementById("other-fields");
  var choices = document.querySelectorAll("input[name='status']");
  if (!asn || !other || !choices.length) { return; }
  function show() {
    var chosen = document.querySelector("input[name='status']:checked");
    var lainnya = chosen && chosen.value === "lainnya";
    asn.hidden = lainnya;
    other.hidden = !lainnya;
  }
  choices.forEach(function (c) { c.addEventListener("change", show); });
  show();
})();
