// Progressive enhancement: without JavaScript the value (a survey link, a signing secret)
// is still shown and selectable. data-copy-name says what it is ("link" by default).
document.querySelectorAll("[data-copy-target]").forEach((button) => {
  const input = document.getElementById(button.dataset.copyTarget);
  const status = document.getElementById(button.dataset.copyStatus);
  if (!input || !navigator.clipboard) return;
  button.hidden = false;
  const name = button.dataset.copyName || "link";
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = `${name[0].toUpperCase()}${name.slice(1)} copied.`;
    } catch {
      input.select();
      status.textContent = `Press Ctrl+C (or ⌘C) to copy the selected ${name}.`;
    }
  });
});
