// Progressive enhancement: without JavaScript the page has a Refresh link.
const box = document.querySelector("[data-export-progress]");
if (box) {
  const bar = box.querySelector("progress");
  const count = box.querySelector("[data-export-count]");
  const status = box.querySelector("[data-export-status]");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.exportProgress, {
        headers: { Accept: "application/json" },
      });
      const state = await response.json();
      bar.max = Math.max(state.rowsTotal, 1);
      bar.value = state.rowsDone;
      count.textContent = `${state.rowsDone} of ${state.rowsTotal}`;
      if (state.status === "done" || state.status === "failed") {
        status.textContent = state.status === "done" ? "Ready." : "Failed.";
        window.location.reload();
        return;
      }
    } catch {
      status.textContent = "Lost touch with the server; trying again.";
    }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
}
