// The builder's store: the doc, and what happens when a person changes it. A change is
// applied to the doc at once (the page shows it), its operations go to the saver, and its
// inverse to the history. The page renders `editor.doc` and calls these methods; nothing
// here touches the DOM (frontend/tests/editor.test.js).

import { apply, findOption, findQuestion, inverse, operations } from "./doc.js";
import { History } from "./history.js";

export class Editor {
  constructor({ doc, kinds, saver, history = new History(), onDoc = () => {} }) {
    Object.assign(this, { doc, kinds, saver, history, onDoc });
  }

  /** Make `changes` (one person's action), undoable as one entry. */
  make(changes, { label, merge = null } = {}) {
    const backward = this._apply(changes);
    this.history.record({ label, forward: changes, backward, merge });
  }

  undo() {
    const entry = this.history.undo();
    if (entry) this._apply(entry.backward);
    return entry;
  }

  redo() {
    const entry = this.history.redo();
    if (entry) this._apply(entry.forward);
    return entry;
  }

  /** Settle a conflict: "mine" sends this tab's values over theirs, "theirs" shows theirs
   * (not an undoable change: nothing is sent). */
  settle(key, keep) {
    const conflict = this.saver.conflicts[key];
    if (!conflict) return;
    if (keep === "theirs") this.takeServer(conflict.entity, key, conflict.current, true);
    this.saver.settle(key, keep);
  }

  /** Show the server's values of a row (after a save that changed more than was sent,
   * e.g. a new kind dropping another's settings, or someone else's kept on a conflict).
   * Fields still waiting to be sent keep what was typed. */
  takeServer(entity, key, row, all = false) {
    const waiting = new Set();
    if (!all) {
      for (const op of this.saver.queue) {
        if (op.key === key && op.type === "patch") for (const f of Object.keys(op.fields)) waiting.add(f);
      }
    }
    if (entity === "option") {
      const [option, , question] = findOption(this.doc, key);
      if (!option || waiting.has("text") || option.text === row.text) return;
      this._replace(question.key, (q) => ({
        ...q,
        options: q.options.map((o) => (o.key === key ? { ...o, text: row.text } : o)),
      }));
      return;
    }
    const [question] = findQuestion(this.doc, key);
    if (!question) return;
    const fields = { ...question.fields };
    let changed = false;
    for (const name of Object.keys(fields)) {
      if (name in row && !waiting.has(name) && JSON.stringify(fields[name]) !== JSON.stringify(row[name])) {
        fields[name] = row[name];
        changed = true;
      }
    }
    if (changed) this._replace(key, (q) => ({ ...q, fields }));
  }

  _replace(questionKey, change) {
    this.doc = { questions: this.doc.questions.map((q) => (q.key === questionKey ? change(q) : q)) };
    this.onDoc(this.doc);
  }

  _apply(changes) {
    let backward = [];
    for (const change of changes) {
      backward = [...inverse(this.doc, change, this.kinds), ...backward];
      this.doc = apply(this.doc, change, this.kinds);
      for (const op of operations(this.doc, change)) this.saver.enqueue(op);
    }
    this.onDoc(this.doc);
    return backward;
  }
}
