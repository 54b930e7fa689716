// B4 "Ambil Foto" -> "Capture" -> "Simpan": the camera through getUserMedia; the captured
// frame goes into the form's file field, so the server sees one upload either way. Without
// a camera (or permission) the file field stays, which is also the no-script path.
(function () {
  "use strict";
  var box = document.getElementById("camera");
  if (!box || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  var video = document.getElementById("camera-video");
  var still = document.getElementById("camera-still");
  var open = document.getElementById("take-photo");
  var capture = document.getElementById("capture");
  var input = document.getElementById("photo");
  var stream = null;
  box.hidden = false;
  open.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false })
      .then(function (s) {
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        still.hidden = true;
        capture.hidden = false;
        return video.play();
      })
      .catch(function () { box.querySelector(".gb-help").hidden = false; });
  });
  capture.addEventListener("click", function () {
    if (!stream || !video.videoWidth) { return; }
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      var files = new DataTransfer();
      files.items.add(new File([blob], "foto-diri.jpg", { type: "image/jpeg" }));
      input.files = files.files;
      still.src = URL.createObjectURL(blob);
      still.hidden = false;
      video.hidden = true;
      stream.getTracks().forEach(function (t) { t.stop(); });
      stream = null;
      capture.hidden = true;
    }, "image/jpeg", 0.9);
  });
})();
