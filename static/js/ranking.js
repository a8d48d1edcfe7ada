// Progressive enhancement of a ranking question: without JavaScript each option has a
// numbered select. With it, options can be dragged or moved with their buttons (keyboard
// and touch alike); every move writes the new order into the same selects, which are what
// the form sends. Each ranking question includes this script; each question is enhanced once.
document.querySelectorAll("[data-ranking]:not([data-enhanced])").forEach((question) => {
  question.dataset.enhanced = "";
  const list = question.querySelector(".ranking-list");
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  question.append(status);
  const items = () => [...list.querySelectorAll(".ranking-item")];
  const label = (item) => item.querySelector(".ranking-label").textContent.trim();

  // Place the items in the order of any places already chosen (a form shown again).
  const placed = items().filter((item) => item.querySelector("select").value);
  placed
    .sort((a, b) => a.querySelector("select").value - b.querySelector("select").value)
    .forEach((item, n) => list.insertBefore(item, items()[n]));

  const number = () => {
    items().forEach((item, n) => {
      item.querySelector("select").value = String(n + 1);
    });
  };

  const move = (item, offset) => {
    const all = items();
    const to = all.indexOf(item) + offset;
    if (to < 0 || to >= all.length) return;
    list.insertBefore(item, offset < 0 ? all[to] : all[to].nextSibling);
    number();
    status.textContent = `${label(item)}: place ${to + 1} of ${all.length}.`;
  };

  items().forEach((item) => {
    const moves = document.createElement("span");
    moves.className = "ranking-moves";
    for (const [text, offset] of [["↑", -1], ["↓", 1]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary outline";
      button.textContent = text;
      button.setAttribute("aria-label", `Move ${label(item)} ${offset < 0 ? "up" : "down"}`);
      button.addEventListener("click", () => {
        move(item, offset);
        button.focus();
      });
      moves.append(button);
    }
    item.append(moves);
    item.draggable = true;
    item.addEventListener("dragstart", (event) => {
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      number();
    });
  });

  list.addEventListener("dragover", (event) => {
    const dragged = list.querySelector(".dragging");
    if (!dragged) return;
    event.preventDefault();
    const after = items().find((item) => {
      const box = item.getBoundingClientRect();
      return item !== dragged && event.clientY < box.top + box.height / 2;
    });
    list.insertBefore(dragged, after || null);
  });

  // A place chosen in a select moves its option there.
  list.addEventListener("change", (event) => {
    const item = event.target.closest(".ranking-item");
    const place = Number(event.target.value);
    if (!item || !place) return;
    move(item, place - 1 - items().indexOf(item));
  });
});
