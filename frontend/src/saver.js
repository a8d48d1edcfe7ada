// The builder's autosave: every change becomes an operation in one queue, sent to the API
// in order, one at a time. Nothing here knows about the page: `fetchJSON` does the HTTP,
// `storage` keeps the unsaved queue (localStorage), `schedule` waits, so the tests drive
// it with fakes (frontend/tests/saver.test.js).
//
// What it promises:
// - a change is sent within about a second (text is gathered for DELAY after the last key,
//   never longer than MAX_WAIT after the first);
// - until the server has it, it is in `storage`, so a closed tab or a dead server loses
//   at most the change being typed;
// - a failed send (no network, a 5xx, a 429) is tried again, waiting longer each time;
// - a change to something someone else changed since it was read is refused by the
//   server (409, the revision sent with it): it is kept as a conflict for the person to
//   settle, never sent over theirs;
// - a refused value (400) stays as typed, with the server's message at the field.

export const DELAY = 400;
export const MAX_WAIT = 1000;
export const BACKOFF = [1000, 2000, 4000, 8000, 15000];

const API = "/api/v1";

// What an operation changes on the server, and with what.
function request(op, ids, surveyId) {
  const id = ids[op.key];
  switch (op.type) {
    case "patch":
      return ["PATCH", `${API}/${op.entity}s/${id}/`, op.fields];
    case "addQuestion":
      return ["POST", `${API}/surveys/${surveyId}/questions/`, op.fields];
    case "addOption":
      return ["POST", `${API}/questions/${ids[op.questionKey]}/options/`, { text: op.text }];
    case "duplicate":
      return ["POST", `${API}/questions/${ids[op.sourceKey]}/duplicate/`, null];
    case "remove":
      return ["DELETE", `${API}/${op.entity}s/${id}/`, null];
    case "move":
      return ["POST", `${API}/${op.entity}s/${id}/move/`, { to: op.to }];
    default:
      throw new Error(`unknown operation ${op.type}`);
  }
}

function sameValues(mine, current) {
  return Object.entries(mine).every(
    ([field, value]) => JSON.stringify(value ?? null) === JSON.stringify(current[field] ?? null),
  );
}

export class Saver {
  constructor({
    surveyId,
    fetchJSON,
    storage = null,
    storageKey = `canvass.builder.${surveyId}`,
    schedule = (fn, ms) => setTimeout(fn, ms),
    cancel = (handle) => clearTimeout(handle),
    now = () => Date.now(),
    snapshot = () => null,
    onSaved = () => {},
    onChange = () => {},
  }) {
    Object.assign(this, { surveyId, fetchJSON, storage, storageKey, schedule, cancel, now });
    Object.assign(this, { snapshot, onSaved, onChange });
    this.queue = [];
    this.ids = {}; // client key → server id
    this.revisions = {}; // client key → the revision this client last read or wrote
    this.errors = {}; // client key → {field: [messages]}, from a 400
    this.conflicts = {}; // client key → {entity, mine, current}, from a 409
    this.sending = false;
    this.failures = 0; // in a row, for the back-off
    this.retryAt = null;
    this.stopped = null; // why nothing more can be sent (the survey was started elsewhere)
    this.timer = null;
    this.firstWaiting = null;
  }

  // --- what the page asks -------------------------------------------------------------

  /** The server's rows as this client knows them: {key: {id, revision}}. */
  know(key, id, revision) {
    this.ids[key] = id;
    this.revisions[key] = revision;
  }

  status() {
    if (this.stopped) return "stopped";
    if (Object.keys(this.conflicts).length || Object.keys(this.errors).length) return "not-saved";
    if (this.retryAt !== null) return "not-saved";
    if (this.queue.length || this.sending) return "saving";
    return "saved";
  }

  enqueue(op) {
    if (op.type === "patch") {
      // Typing in one field sends one change: a patch waiting for the same row takes it.
      const waiting = this.queue.findLast((queued) => queued.key === op.key);
      if (waiting && waiting.type === "patch" && !waiting.sent) {
        Object.assign(waiting.fields, op.fields);
        this._changed();
        this._soon();
        return;
      }
      if (this.conflicts[op.key]) {
        // Someone else's change is waiting to be looked at: this one joins "mine".
        Object.assign(this.conflicts[op.key].mine, op.fields);
        this._changed();
        return;
      }
    }
    this.queue.push({ ...op, fields: op.fields && { ...op.fields } });
    this._changed();
    if (op.type === "patch") this._soon();
    else this.flush();
  }

  /** Settle a conflict: keep "mine" (sent again over theirs, knowingly) or "theirs". */
  settle(key, keep) {
    const conflict = this.conflicts[key];
    if (!conflict) return;
    delete this.conflicts[key];
    this.revisions[key] = conflict.current.revision;
    if (keep === "mine") {
      this.enqueue({ type: "patch", entity: conflict.entity, key, fields: conflict.mine });
    } else {
      this._changed();
    }
  }

  /** Send what is waiting now (after a back-off wait too: the page calls this when the
   * browser comes back online). */
  flush() {
    if (this.timer !== null) this.cancel(this.timer);
    this.timer = null;
    this.firstWaiting = null;
    this.retryAt = null;
    this._next();
  }

  // --- keeping the queue in the browser -----------------------------------------------

  saved() {
    if (!this.storage) return null;
    try {
      return JSON.parse(this.storage.getItem(this.storageKey));
    } catch {
      return null; // unreadable: as if nothing was kept
    }
  }

  forget() {
    this.storage?.removeItem(this.storageKey);
  }

  /** Take back what a closed tab left: its queue, ids and revisions (the page takes its
   * doc). What was being sent when it closed is sent again: a change already applied
   * comes back as a 409 whose current values are the same, and counts as saved. */
  restore(kept) {
    this.queue = kept.queue.map((op) => ({ ...op, sent: false }));
    Object.assign(this.ids, kept.ids);
    Object.assign(this.revisions, kept.revisions);
    Object.assign(this.conflicts, kept.conflicts || {});
    this._changed();
    this.flush();
  }

  _keep() {
    if (!this.storage) return;
    if (!this.queue.length && !Object.keys(this.conflicts).length) {
      this.forget();
      return;
    }
    const kept = {
      at: this.now(),
      queue: this.queue,
      ids: this.ids,
      revisions: this.revisions,
      conflicts: this.conflicts,
      doc: this.snapshot(),
    };
    try {
      this.storage.setItem(this.storageKey, JSON.stringify(kept));
    } catch {
      // A full storage keeps nothing more; the queue is still sent.
    }
  }

  _changed() {
    this._keep();
    this.onChange(this.status());
  }

  // --- sending ------------------------------------------------------------------------

  _soon() {
    const now = this.now();
    if (this.firstWaiting === null) this.firstWaiting = now;
    if (this.timer !== null) this.cancel(this.timer);
    const wait = Math.min(DELAY, this.firstWaiting + MAX_WAIT - now);
    this.timer = this.schedule(() => this.flush(), Math.max(wait, 0));
  }

  async _next() {
    if (this.sending || this.stopped || this.retryAt !== null) return;
    const op = this.queue[0];
    if (!op) return;
    this.sending = true;
    op.sent = true;
    let answer;
    try {
      const [method, url, fields] = request(op, this.ids, this.surveyId);
      const body = op.type === "patch" ? { ...fields, revision: this.revisions[op.key] } : fields;
      answer = await this.fetchJSON(method, url, body);
    } catch {
      answer = { status: 0, body: null }; // no answer at all: the server or network is down
    }
    this.sending = false;
    if (answer.status === 0 || answer.status >= 500 || answer.status === 429) {
      op.sent = false;
      const wait = BACKOFF[Math.min(this.failures, BACKOFF.length - 1)];
      this.failures += 1;
      this.retryAt = this.now() + wait;
      this.timer = this.schedule(() => this.flush(), wait);
      this._changed();
      return;
    }
    this.failures = 0;
    this.queue.shift();
    this._answered(op, answer);
    this._changed();
    this._next();
  }

  _answered(op, { status, body }) {
    if (status >= 200 && status < 300) {
      if (op.type === "patch") {
        if (this.errors[op.key]) {
          for (const field of Object.keys(op.fields)) delete this.errors[op.key][field];
          if (!Object.keys(this.errors[op.key]).length) delete this.errors[op.key];
        }
      }
      if (op.type === "addQuestion" || op.type === "addOption") delete this.errors[op.key];
      if (body && body.id !== undefined && op.type !== "move") {
        this.know(op.key, body.id, body.revision);
      }
      if (op.type === "duplicate") {
        body.options.forEach((option, i) => this.know(op.optionKeys[i], option.id, option.revision));
      }
      if (op.type === "remove") delete this.ids[op.key];
      this.onSaved(op, body);
      return;
    }
    if (status === 404 && op.type === "remove") return; // already gone: what was asked
    if (status === 409 && op.type === "patch" && body?.current) {
      if (sameValues(op.fields, body.current)) {
        // Ours, applied before the answer was lost (a closed tab, a cut connection).
        this.revisions[op.key] = body.current.revision;
        this.onSaved(op, body.current);
        return;
      }
      const mine = { ...(this.conflicts[op.key]?.mine || {}), ...op.fields };
      this.conflicts[op.key] = { entity: op.entity, mine, current: body.current };
      return;
    }
    if (status === 409) {
      this.stopped = body?.detail || "This survey can no longer be changed.";
      return;
    }
    // A 400 (or a 404: deleted by someone else): the change stays on the page as typed,
    // with why, and is sent again once it is changed.
    const detail = body && typeof body === "object" ? body : { detail: String(body) };
    const messages = {};
    for (const [field, value] of Object.entries(detail)) {
      messages[field] = Array.isArray(value) ? value.map(String) : [String(value)];
    }
    if (status === 404) messages.detail = ["Someone else deleted this."];
    this.errors[op.key] = { ...(this.errors[op.key] || {}), ...messages };
    if (op.type === "addQuestion" || op.type === "addOption" || op.type === "duplicate") {
      // What was to happen to the row that wasn't made can't happen either.
      this.queue = this.queue.filter((queued) => queued.key !== op.key && queued.questionKey !== op.key);
    }
  }
}
