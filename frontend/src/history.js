// Undo and redo of every change made since the page opened. An entry holds the changes
// made (forward) and the ones that undo them (backward, already in the order to apply).
// Typing in one field is one entry, not one per key: a change with the same `merge` name
// within MERGE_MS of the last one extends it.

export const MERGE_MS = 1500;

export class History {
  constructor({ now = () => Date.now() } = {}) {
    this.now = now;
    this.past = [];
    this.future = [];
  }

  record({ label, forward, backward, merge = null }) {
    const last = this.past[this.past.length - 1];
    const at = this.now();
    this.future = [];
    if (merge && last && last.merge === merge && at - last.at < MERGE_MS) {
      last.forward = forward; // the latest value; undo still goes back to the first
      last.at = at;
      return;
    }
    this.past.push({ label, forward, backward, merge, at });
  }

  /** The entry to undo (apply its backward changes), or null. */
  undo() {
    const entry = this.past.pop();
    if (!entry) return null;
    this.future.push(entry);
    return entry;
  }

  /** The entry to redo (apply its forward changes), or null. */
  redo() {
    const entry = this.future.pop();
    if (!entry) return null;
    entry.merge = null; // a redone entry is not extended by the next key
    this.past.push(entry);
    return entry;
  }

  get canUndo() {
    return this.past.length > 0;
  }

  get canRedo() {
    return this.future.length > 0;
  }
}
