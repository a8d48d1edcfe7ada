// Says a file is over its question's limit as soon as it is chosen, before anything is
// sent (the server checks again: this only saves a long upload). Each file question
// includes this script; each input is watched once.
document.querySelectorAll("input[type=file][data-max-bytes]:not([data-watched])").forEach((input) => {
  input.dataset.watched = "";
  const status = document.getElementById(`${input.id}_size`);
  const limit = Number(input.dataset.maxBytes);
  const size = (bytes) =>
    bytes < 1024 * 1024
      ? `${Math.max(1, Math.round(bytes / 1024))} KB`
      : `${(bytes / 1024 / 1024).toFixed(1).replace(/\.0$/, "")} MB`;
  const check = () => {
    const file = input.files[0];
    const message =
      file && file.size > limit
        ? `This file is ${size(file.size)}, over this question’s limit of ${size(limit)}. Choose a smaller one.`
        : "";
    input.setCustomValidity(message);
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    status.textContent = message;
    status.hidden = !message;
    return !message;
  };
  input.addEventListener("change", check);
  input.form.addEventListener("submit", (event) => {
    if (!check()) {
      event.preventDefault();
      input.focus();
    }
  });
});
