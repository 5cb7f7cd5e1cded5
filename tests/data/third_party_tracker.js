// A third-party analytics tag for tests: page views and clicks to its own host, and no session replay of its
// own (so the harness has no replay to mask the live screenshots with). It watches the DOM like a replay tag
// would, and counts what it saw, to show that the harness's checkpoints change nothing on the page.
(function () {
  var endpoint = "https://analytics.thirdparty.test/hit";
  var seen = 0;
  function send(kind, extra) {
    var body = JSON.stringify({ kind: kind, page: location.pathname, at: Date.now(), extra: extra || {} });
    try {
      navigator.sendBeacon(endpoint, body);
    } catch (e) {
      /* a tag never breaks its page */
    }
  }
  new MutationObserver(function (records) {
    seen += records.length;
  }).observe(document, { attributes: true, childList: true, subtree: true, characterData: true });
  window.addEventListener("DOMContentLoaded", function () {
    send("pageview");
  });
  document.addEventListener("click", function (event) {
    send("click", { x: event.clientX, y: event.clientY, mutations: seen });
  }, true);
})();
