// Job progress on the Jobs page: poll the API for queued or running jobs. No framework.
(function () {
  "use strict";
  function poll(row) {
    var id = row.getAttribute("data-job");
    fetch("/api/v1/jobs/" + id, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) {
        if (!j) { return; }
        row.setAttribute("data-status", j.status);
        var table = document.getElementById("jobs-table");
        row.querySelector(".job-status").textContent = (table && table.getAttribute("data-st-" + j.status)) || j.status;
        row.querySelector("progress").value = j.progress;
        row.querySelector(".job-pct").textContent = Math.round(100 * j.progress) + "%";
        var msg = row.querySelector(".job-msg");
        msg.textContent = j.error_text || j.message_text || j.error || j.message || "";
        if (j.result) {
          var a = document.createElement("a");
          a.href = "/profiles/" + encodeURIComponent(j.result);
          a.textContent = " \u2192 " + j.result;
          msg.appendChild(a);
        }
        if (j.status === "queued" || j.status === "running") { setTimeout(function () { poll(row); }, 2000); }
      })
      .catch(function () { setTimeout(function () { poll(row); }, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var rows = document.querySelectorAll("tr[data-job]");
    for (var i = 0; i < rows.length; i++) {
      var s = rows[i].getAttribute("data-status");
      if (s === "queued" || s === "running") { poll(rows[i]); }
    }
  });
})();
