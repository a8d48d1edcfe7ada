// Fakes for the builder's tests: a clock the test moves, a server that answers what the
// test says, and a storage like localStorage.

export class Clock {
  constructor() {
    this.time = 0;
    this.timers = [];
    this.schedule = (fn, ms) => {
      const timer = { at: this.time + ms, fn };
      this.timers.push(timer);
      return timer;
    };
    this.cancel = (timer) => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
    this.now = () => this.time;
  }

  /** Move time on by `ms`, running what falls due, and let the sends finish. */
  async advance(ms) {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = due.at;
      due.fn();
      await settled();
    }
    this.time = end;
    await settled();
  }
}

export async function settled() {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

/** A server whose answers the test queues; `down` makes every request fail as a dead
 * server does (no answer). */
export class Server {
  constructor() {
    this.calls = [];
    this.answers = [];
    this.down = false;
    this.fetchJSON = async (method, url, body) => {
      this.calls.push({ method, url, body: body && structuredClone(body) });
      if (this.down) throw new TypeError("Failed to fetch");
      const answer = this.answers.shift();
      if (typeof answer === "function") return answer(method, url, body);
      return answer || { status: 200, body: { id: 1, revision: 2 } };
    };
  }
}

export class Storage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}
