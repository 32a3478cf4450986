// tsukuru console: live regions, confirmations and the background invoke form.
// No framework and no build step: the server renders every fragment, this only fetches them.
(function () {
  "use strict";

  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  // ------------------------------------------------------------------ live regions
  // An element with data-live="URL" is replaced by the HTML that URL returns, every
  // data-interval ms. The server leaves data-live out once nothing can change any more
  // (a job that finished), and refreshing stops there.
  function keepBottom(oldNode, newNode) {
    var logs = oldNode.querySelectorAll("[data-keep-bottom]");
    var fresh = newNode.querySelectorAll("[data-keep-bottom]");
    for (var i = 0; i < logs.length && i < fresh.length; i++) {
      var atBottom = logs[i].scrollTop + logs[i].clientHeight >= logs[i].scrollHeight - 8;
      fresh[i].dataset.scroll = atBottom ? "bottom" : String(logs[i].scrollTop);
    }
  }

  function restoreScroll(root) {
    root.querySelectorAll("[data-keep-bottom]").forEach(function (log) {
      var where = log.dataset.scroll;
      log.scrollTop = where === undefined || where === "bottom" ? log.scrollHeight : Number(where);
    });
  }

  function schedule(node) {
    var url = node.getAttribute("data-live");
    if (!url) return;
    var every = Number(node.getAttribute("data-interval")) || 2000;
    window.setTimeout(function () { refresh(node, url); }, every);
  }

  function refresh(node, url) {
    if (!node.isConnected) return;
    if (document.hidden) { schedule(node); return; }
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.firstElementChild;
        if (!fresh) { schedule(node); return; }
        keepBottom(node, fresh);
        node.replaceWith(fresh);
        restoreScroll(fresh);
        wire(fresh);
        schedule(fresh);
      })
      .catch(function () { schedule(node); });
  }

  // ------------------------------------------------------------------ forms
  function wire(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.wired) return;
      form.dataset.wired = "1";
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  function wireInvoke() {
    document.querySelectorAll("form[data-async-target]").forEach(function (form) {
      var target = document.getElementById(form.getAttribute("data-async-target"));
      if (!target) return;
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button[type=submit]");
        if (button) button.disabled = true;
        target.setAttribute("aria-busy", "true");
        fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch", "X-CSRF-Token": csrf },
        })
          .then(function (response) { return response.text(); })
          .then(function (html) { target.innerHTML = html; })
          .catch(function (error) { target.textContent = String(error); })
          .finally(function () {
            if (button) button.disabled = false;
            target.removeAttribute("aria-busy");
          });
      });
    });
  }

  function wireSelectButtons() {
    document.querySelectorAll("button[data-select]").forEach(function (button) {
      button.addEventListener("click", function () {
        var on = button.getAttribute("data-select") === "all";
        var form = button.closest("form");
        form.querySelectorAll('input[type=checkbox][name="item"]').forEach(function (box) {
          box.checked = on;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wire(document);
    wireInvoke();
    wireSelectButtons();
    restoreScroll(document);
    document.querySelectorAll("[data-live]").forEach(schedule);
  });
})();
