// The run filter of the evidence report: shows the runs whose status the chosen filter names (its option's
// data-statuses) and whose browser is chosen. No request; without script every run simply stays shown.
"use strict";
(() => {
  const form = document.getElementById("run-filter");
  if (!form) return;
  const runs = [...document.querySelectorAll("[data-run-status]")];
  const apply = () => {
    const statuses = form.elements.status.selectedOptions[0].dataset.statuses.split(" ");
    const browser = form.elements.browser.value;
    let shown = 0;
    for (const run of runs) {
      const visible = statuses.includes(run.dataset.runStatus) && (browser === "" || run.dataset.runBrowser === browser);
      run.hidden = !visible;
      if (visible && run.tagName === "DETAILS") shown += 1;
    }
    document.getElementById("run-filter-count").textContent = `${shown} of ${runs.filter((r) => r.tagName === "DETAILS").length} runs shown`;
  };
  // A link to a run (from the summary or the contents) opens it, even when it passed and starts closed.
  const openTarget = () => {
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.tagName === "DETAILS") target.open = true;
  };
  form.addEventListener("change", apply);
  addEventListener("hashchange", openTarget);
  form.hidden = false;
  apply();
  openTarget();
})();
