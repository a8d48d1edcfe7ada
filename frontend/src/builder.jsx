// The inline builder: a draft's questions and options edited in place, saved as you type.
// It takes over the Build tab's server-drawn page once the survey and the kinds are loaded
// (until then, and without JavaScript, that page works on its own). Everything it writes
// goes through the API (frontend/src/saver.js); the fields each kind has come from the
// API's kinds endpoint, itself read off the server's one definition of each kind.

import { render } from "preact";
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";

import { findQuestion, fromSurvey, kindOf, newKey } from "./doc.js";
import { Editor } from "./editor.js";
import { Saver } from "./saver.js";

const STATUS_WORDS = {
  saved: "All changes saved",
  saving: "Saving…",
  "not-saved": "Not saved",
  stopped: "Not saved",
};

function fetcher(csrf) {
  return async (method, url, body) => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 10000);
    try {
      const response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: body === null || body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
      });
      const text = await response.text();
      let parsed = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = { detail: `The server answered ${response.status}.` };
      }
      return { status: response.status, body: parsed };
    } finally {
      clearTimeout(timer);
    }
  };
}

// What a field's input holds → what the API takes: an empty number, date or choice is
// "not set" (null); the server checks the rest and says what is wrong.
function toValue(field, input) {
  if (field.input === "checkbox") return input.checked;
  if (field.input === "checkboxes") return input;
  if (input.value === "" && field.input !== "text") return null;
  return input.value;
}

function errorsOf(errors, name) {
  return errors?.[name] || [];
}

function FieldErrors({ id, messages }) {
  if (!messages.length) return null;
  return (
    <small id={id} class="field-error" role="alert">
      {messages.join(" ")}
    </small>
  );
}

/** One field of a question, drawn from its description (the kinds endpoint). */
function Field({ field, value, idBase, errors, onChange }) {
  const id = `${idBase}-${field.name}`;
  const messages = errorsOf(errors, field.name);
  const described = [field.help && `${id}-help`, messages.length && `${id}-error`].filter(Boolean).join(" ");
  const common = {
    id,
    "aria-invalid": messages.length ? "true" : undefined,
    "aria-describedby": described || undefined,
  };
  const help = field.help ? <small id={`${id}-help`}>{field.help}</small> : null;
  const errorLine = <FieldErrors id={`${id}-error`} messages={messages} />;
  if (field.input === "checkbox") {
    return (
      <label class="builder-check">
        <input type="checkbox" {...common} checked={!!value} onChange={(e) => onChange(toValue(field, e.currentTarget))} />
        {field.label}
        {help}
        {errorLine}
      </label>
    );
  }
  if (field.input === "checkboxes") {
    const chosen = new Set(value || []);
    return (
      <fieldset class="builder-choices" aria-describedby={described || undefined}>
        <legend>{field.label}</legend>
        {field.choices.map((choice) => (
          <label key={choice.value}>
            <input
              type="checkbox"
              checked={chosen.has(choice.value)}
              onChange={(e) => {
                const next = field.choices
                  .map((c) => c.value)
                  .filter((v) => (v === choice.value ? e.currentTarget.checked : chosen.has(v)));
                onChange(next);
              }}
            />
            {choice.label}
          </label>
        ))}
        {help}
        {errorLine}
      </fieldset>
    );
  }
  let input;
  if (field.input === "select") {
    input = (
      <select {...common} value={value ?? ""} onChange={(e) => onChange(toValue(field, e.currentTarget))}>
        {field.choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.value === "" ? "—" : choice.label}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        type={field.input}
        {...common}
        {...field.attrs}
        value={value ?? ""}
        onInput={(e) => onChange(toValue(field, e.currentTarget))}
      />
    );
  }
  return (
    <div class="builder-field">
      <label for={id}>{field.label}</label>
      {input}
      {help}
      {errorLine}
    </div>
  );
}

function Conflict({ conflict, labels, onKeep }) {
  const shown = (value) => (value === null || value === "" ? "(empty)" : Array.isArray(value) ? value.join(", ") : String(value));
  return (
    <div class="conflict" role="alert">
      <p>
        <strong>Someone else changed this since you opened it.</strong> Keep either version:
      </p>
      <dl>
        {Object.entries(conflict.mine).map(([name, mine]) => (
          <div key={name}>
            <dt>{labels[name] || name}</dt>
            <dd>Theirs: {shown(conflict.current[name])}</dd>
            <dd>Yours: {shown(mine)}</dd>
          </div>
        ))}
      </dl>
      <div class="button-row">
        <button type="button" onClick={() => onKeep("mine")}>
          Keep mine
        </button>
        <button type="button" class="secondary" onClick={() => onKeep("theirs")}>
          Keep theirs
        </button>
      </div>
    </div>
  );
}

function MoveButtons({ what, index, count, onMove, focusName }) {
  return (
    <>
      <button
        type="button"
        class="secondary outline compact"
        data-focus={`${focusName}-up`}
        disabled={index === 0}
        aria-label={`Move ${what} up`}
        onClick={() => onMove(index - 1, index - 1 === 0 ? "down" : "up")}
      >
        ↑
      </button>
      <button
        type="button"
        class="secondary outline compact"
        data-focus={`${focusName}-down`}
        disabled={index === count - 1}
        aria-label={`Move ${what} down`}
        onClick={() => onMove(index + 1, index + 1 === count - 1 ? "up" : "down")}
      >
        ↓
      </button>
    </>
  );
}

function Options({ question, number, word, editor, errors, focus }) {
  const [text, setText] = useState("");
  const add = (event) => {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    const index = question.options.length;
    editor.make([{ t: "addOption", key: newKey(), questionKey: question.key, index, text: value }], {
      label: `add ${word}`,
    });
    setText("");
  };
  const inputId = `new-${question.key}`;
  return (
    <div class="builder-options">
      <ol class="option-list" type="A">
        {question.options.map((option, index) => {
          const what = `${word} ${index + 1} of question ${number}`;
          const messages = errorsOf(errors[option.key], "text").concat(errorsOf(errors[option.key], "detail"));
          return (
            <li key={option.key}>
              <input
                type="text"
                maxlength="200"
                aria-label={`${word[0].toUpperCase()}${word.slice(1)} ${index + 1} of question ${number}`}
                value={option.text}
                aria-invalid={messages.length ? "true" : undefined}
                onInput={(e) =>
                  editor.make([{ t: "set", entity: "option", key: option.key, value: e.currentTarget.value }], {
                    label: `edit ${word}`,
                    merge: `option:${option.key}`,
                  })
                }
              />
              <FieldErrors id={`${option.key}-error`} messages={messages} />
              <div class="row-actions">
                <MoveButtons
                  what={what}
                  index={index}
                  count={question.options.length}
                  focusName={option.key}
                  onMove={(to, way) => {
                    focus(`${option.key}-${way}`);
                    editor.make([{ t: "move", entity: "option", key: option.key, to }], { label: `move ${word}` });
                  }}
                />
                <button
                  type="button"
                  class="secondary outline compact"
                  aria-label={`Copy ${what}`}
                  onClick={() =>
                    editor.make(
                      [{ t: "addOption", key: newKey(), questionKey: question.key, index: index + 1, text: option.text }],
                      { label: `duplicate ${word}` },
                    )
                  }
                >
                  Copy
                </button>
                <button
                  type="button"
                  class="secondary outline compact danger-outline"
                  aria-label={`Delete ${what}`}
                  onClick={() => {
                    focus(inputId);
                    editor.make([{ t: "remove", entity: "option", key: option.key }], { label: `delete ${word}` });
                  }}
                >
                  Delete
                </button>
              </div>
            </li>
          );
        })}
      </ol>
      <form class="add-option" onSubmit={add}>
        <label for={inputId}>
          New {word} for question {number}
        </label>
        <div class="inline-add">
          <input
            id={inputId}
            data-focus={inputId}
            type="text"
            maxlength="200"
            value={text}
            onInput={(e) => setText(e.currentTarget.value)}
          />
          <button type="submit" class="secondary">
            Add {word}
          </button>
        </div>
      </form>
    </div>
  );
}

function QuestionCard({ question, index, count, kinds, editor, saver, focus, drag }) {
  const number = index + 1;
  const idBase = `b-${question.key}`;
  const kind = kindOf(kinds, question.fields.kind);
  const errors = saver.errors;
  const conflict = saver.conflicts[question.key];
  const set = (name) => (value) =>
    editor.make([{ t: "set", entity: "question", key: question.key, field: name, value }], {
      label: "edit question",
      merge: `question:${question.key}:${name}`,
    });
  const labels = Object.fromEntries(
    [...kinds.fields, ...kinds.kinds.flatMap((k) => k.settings), { name: "kind", label: "Type of answer" }].map((f) => [
      f.name,
      f.label,
    ]),
  );
  const [prompt, helpText, required] = kinds.fields;
  const questionErrors = errors[question.key];
  const general = errorsOf(questionErrors, "detail").concat(errorsOf(questionErrors, "nonFieldErrors"));
  return (
    <li
      class={`question-card builder-card${drag.over === question.key ? " drop-target" : ""}`}
      aria-labelledby={`${idBase}-title`}
      onDragOver={(e) => {
        if (!drag.dragging()) return;
        e.preventDefault();
        drag.setOver(question.key);
      }}
      onDrop={(e) => {
        e.preventDefault();
        drag.drop(index);
      }}
    >
      <header>
        <h2 id={`${idBase}-title`} class="builder-number">
          <span
            class="drag-handle"
            draggable="true"
            title="Drag to move"
            onDragStart={(e) => {
              e.dataTransfer.setData("text/plain", question.key);
              e.dataTransfer.effectAllowed = "move";
              drag.start(question.key);
            }}
            onDragEnd={() => drag.end()}
          >
            ⠿
          </span>
          Question {number}
        </h2>
        <div class="card-actions">
          <MoveButtons
            what={`question ${number}`}
            index={index}
            count={count}
            focusName={question.key}
            onMove={(to, way) => {
              focus(`${question.key}-${way}`);
              editor.make([{ t: "move", entity: "question", key: question.key, to }], { label: "move question" });
            }}
          />
          <button
            type="button"
            class="secondary outline compact"
            aria-label={`Duplicate question ${number}`}
            onClick={() => {
              const source = findQuestion(editor.doc, question.key)[0];
              editor.make(
                [{ t: "duplicate", key: newKey(), sourceKey: question.key, optionKeys: source.options.map(() => newKey()) }],
                { label: "duplicate question" },
              );
            }}
          >
            Duplicate
          </button>
          <button
            type="button"
            class="secondary outline compact danger-outline"
            aria-label={`Delete question ${number}`}
            onClick={() => {
              focus("add-question");
              editor.make([{ t: "remove", entity: "question", key: question.key }], { label: "delete question" });
            }}
          >
            Delete
          </button>
        </div>
      </header>
      {conflict && <Conflict conflict={conflict} labels={labels} onKeep={(keep) => editor.settle(question.key, keep)} />}
      <FieldErrors id={`${idBase}-general`} messages={general} />
      <Field field={prompt} value={question.fields.prompt} idBase={idBase} errors={questionErrors} onChange={set("prompt")} />
      <div class="builder-field">
        <label for={`${idBase}-kind`}>Type of answer</label>
        <select id={`${idBase}-kind`} value={question.fields.kind} onChange={(e) => set("kind")(e.currentTarget.value)}>
          {kinds.kinds.map((k) => (
            <option key={k.key} value={k.key}>
              {k.label}
            </option>
          ))}
        </select>
      </div>
      <Field field={helpText} value={question.fields.helpText} idBase={idBase} errors={questionErrors} onChange={set("helpText")} />
      <Field field={required} value={question.fields.required} idBase={idBase} errors={questionErrors} onChange={set("required")} />
      {kind.settings.length > 0 && (
        <fieldset class="builder-settings">
          <legend>{kind.settingsLegend}</legend>
          {kind.settings.map((field) => (
            <Field
              key={field.name}
              field={field}
              value={question.fields[field.name]}
              idBase={idBase}
              errors={questionErrors}
              onChange={set(field.name)}
            />
          ))}
        </fieldset>
      )}
      {kind.hasOptions && (
        <Options question={question} number={number} word={kind.optionWord} editor={editor} errors={errors} focus={focus} />
      )}
    </li>
  );
}

function AddQuestion({ kinds, editor, focus }) {
  const [kind, setKind] = useState(kinds.kinds[0].key);
  const add = (event) => {
    event.preventDefault();
    const key = newKey();
    const fields = { prompt: "New question", kind, helpText: "", required: true };
    focus(`b-${key}-prompt`, true);
    editor.make([{ t: "addQuestion", key, index: editor.doc.questions.length, fields, options: [] }], {
      label: "add question",
    });
  };
  return (
    <form class="add-question" onSubmit={add}>
      <label for="add-question-kind">Type of the new question</label>
      <div class="inline-add">
        <select id="add-question-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          {kinds.kinds.map((k) => (
            <option key={k.key} value={k.key}>
              {k.label}
            </option>
          ))}
        </select>
        <button type="submit" id="add-question" data-focus="add-question">
          Add question
        </button>
      </div>
    </form>
  );
}

function StartBox({ problems, status, onStart, started, urls }) {
  if (started) {
    return (
      <section class="start-box" aria-labelledby="start-heading" role="status">
        <h2 id="start-heading">Started</h2>
        <p>
          Takers can answer at <a href={started.publicUrl}>{started.publicUrl}</a>.
        </p>
        <p>
          <a href={urls.share}>Share it</a> · <a href={urls.results}>See results</a>
        </p>
      </section>
    );
  }
  const ready = !problems.length && status === "saved";
  return (
    <section class="start-box" aria-labelledby="start-heading">
      <h2 id="start-heading">Start the survey</h2>
      {problems.length ? (
        <>
          <p>Before you can start it:</p>
          <ul class="problems">
            {problems.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </>
      ) : (
        <p>
          Once started, takers can answer and the questions can no longer change; to change them later you make a new
          version.
        </p>
      )}
      <button type="button" disabled={!ready} aria-disabled={ready ? undefined : "true"} onClick={onStart}>
        Start survey
      </button>
    </section>
  );
}

function RestoreOffer({ kept, onRestore, onDiscard }) {
  const when = new Date(kept.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const count = kept.queue.length + Object.keys(kept.conflicts || {}).length;
  return (
    <div class="restore-offer" role="alert">
      <p>
        This browser kept {count} change{count === 1 ? "" : "s"} from {when} that did not reach the server (a closed
        tab or a lost connection).
      </p>
      <div class="button-row">
        <button type="button" onClick={onRestore}>
          Restore them
        </button>
        <button type="button" class="secondary outline" onClick={onDiscard}>
          Discard them
        </button>
      </div>
    </div>
  );
}

function Builder({ surveyId, kinds, survey, fetchJSON, urls }) {
  const [, redraw] = useReducer((n) => n + 1, 0);
  const [problems, setProblems] = useState(survey.startProblems);
  const [started, setStarted] = useState(null);
  const [startErrors, setStartErrors] = useState([]);
  const [previewing, setPreviewing] = useState(false);
  const [previewAt, setPreviewAt] = useState(0);
  const dragFrom = useRef(null);
  const [dragOver, setDragOver] = useState(null);
  const focusNext = useRef(null);
  const store = useRef(null);

  if (store.current === null) {
    const { doc, known } = fromSurvey(survey, kinds);
    const saver = new Saver({
      surveyId,
      fetchJSON,
      storage: window.localStorage,
      snapshot: () => store.current?.editor.doc,
      onChange: () => redraw(),
      onSaved: (op, body) => {
        if (op.type === "patch" && body) store.current.editor.takeServer(op.entity, op.key, body);
      },
    });
    for (const [key, id, revision] of known) saver.know(key, id, revision);
    const kept = saver.saved();
    const editor = new Editor({ doc, kinds, saver, onDoc: () => redraw() });
    store.current = { saver, editor, kept: kept && kept.queue?.length ? kept : null };
  }
  const { saver, editor } = store.current;
  const status = saver.status();

  // After the page draws: put focus where the action asked (a moved card's button, a new
  // question's prompt), since moving a node in the DOM drops its focus. A layout effect:
  // at once, before the next key press can land elsewhere.
  useLayoutEffect(() => {
    if (!focusNext.current) return;
    const [name, select] = focusNext.current;
    focusNext.current = null;
    const target = document.getElementById(name) || document.querySelector(`[data-focus="${name}"]`);
    if (target) {
      target.focus();
      if (select && target.select) target.select();
    }
  });
  const focus = (name, select = false) => {
    focusNext.current = [name, select];
  };

  // Once everything is saved: ask the server what still keeps the survey from starting,
  // and draw the preview again.
  useEffect(() => {
    if (status !== "saved") return;
    let stale = false;
    fetchJSON("GET", `/api/v1/surveys/${surveyId}/`, null)
      .then(({ status: code, body }) => {
        if (!stale && code === 200) setProblems(body.startProblems);
      })
      .catch(() => {});
    setPreviewAt(Date.now());
    return () => {
      stale = true;
    };
  }, [status, saver.queue.length]);

  useEffect(() => {
    const keys = (event) => {
      const mod = event.ctrlKey || event.metaKey;
      if (!mod || event.altKey) return;
      const key = event.key.toLowerCase();
      if (key === "z" && !event.shiftKey) {
        event.preventDefault();
        editor.undo();
      } else if ((key === "z" && event.shiftKey) || key === "y") {
        event.preventDefault();
        editor.redo();
      }
    };
    const online = () => saver.flush();
    const leaving = (event) => {
      if (saver.status() !== "saved") event.preventDefault(); // what is unsaved is kept, but say so
    };
    document.addEventListener("keydown", keys);
    window.addEventListener("online", online);
    window.addEventListener("beforeunload", leaving);
    return () => {
      document.removeEventListener("keydown", keys);
      window.removeEventListener("online", online);
      window.removeEventListener("beforeunload", leaving);
    };
  }, []);

  // What is being dragged is read by the drop targets' handlers at once, before any
  // redraw: a ref, not state. Only the highlighted target is drawn.
  const drag = {
    dragging: () => dragFrom.current !== null,
    over: dragOver,
    start: (key) => {
      dragFrom.current = key;
    },
    setOver: (key) => dragOver !== key && setDragOver(key),
    end: () => {
      dragFrom.current = null;
      setDragOver(null);
    },
    drop: (to) => {
      const key = dragFrom.current;
      dragFrom.current = null;
      setDragOver(null);
      if (key === null) return;
      const [, from] = findQuestion(editor.doc, key);
      if (from !== to) editor.make([{ t: "move", entity: "question", key, to }], { label: "move question" });
    },
  };

  const start = async () => {
    setStartErrors([]);
    try {
      const { status: code, body } = await fetchJSON("POST", `/api/v1/surveys/${surveyId}/start/`, null);
      if (code === 200) {
        setStarted(body);
        return;
      }
      setStartErrors(body?.survey || [body?.detail || `The server answered ${code}.`]);
    } catch {
      setStartErrors(["The server could not be reached. Try again in a moment."]);
    }
  };

  const kept = store.current.kept;
  const questions = editor.doc.questions;
  const words = STATUS_WORDS[status];
  let why = "";
  if (status === "stopped") why = saver.stopped;
  else if (saver.retryAt !== null) why = "The server can't be reached; trying again. Your changes are kept in this browser.";
  else if (Object.keys(saver.conflicts).length) why = "Someone else changed what you changed: choose which to keep.";
  else if (Object.keys(saver.errors).length) why = "Some values were refused: see the marked fields.";

  if (started) {
    return (
      <div class="builder">
        <StartBox started={started} urls={urls} problems={[]} status={status} />
      </div>
    );
  }
  return (
    <div class="builder">
      <div class="builder-bar">
        <p class={`save-state save-${status}`} role="status" aria-live="polite">
          {words}
          {why && <span class="save-why"> — {why}</span>}
        </p>
        <div class="button-row">
          <button type="button" class="secondary outline compact" disabled={!editor.history.canUndo} onClick={() => editor.undo()}>
            Undo
          </button>
          <button type="button" class="secondary outline compact" disabled={!editor.history.canRedo} onClick={() => editor.redo()}>
            Redo
          </button>
          <button
            type="button"
            class="secondary outline compact"
            aria-expanded={previewing ? "true" : "false"}
            aria-controls="builder-preview"
            onClick={() => setPreviewing(!previewing)}
          >
            {previewing ? "Hide preview" : "Show preview"}
          </button>
        </div>
      </div>
      {kept && (
        <RestoreOffer
          kept={kept}
          onRestore={() => {
            store.current.kept = null;
            editor.doc = kept.doc;
            saver.restore(kept);
            redraw();
          }}
          onDiscard={() => {
            store.current.kept = null;
            saver.forget();
            redraw();
          }}
        />
      )}
      <div class={previewing ? "builder-split" : ""}>
        <div>
          {questions.length ? (
            <ol class="builder-questions">
              {questions.map((question, index) => (
                <QuestionCard
                  key={question.key}
                  question={question}
                  index={index}
                  count={questions.length}
                  kinds={kinds}
                  editor={editor}
                  saver={saver}
                  focus={focus}
                  drag={drag}
                />
              ))}
            </ol>
          ) : (
            <p class="empty">No questions yet. Add the first one.</p>
          )}
          <AddQuestion kinds={kinds} editor={editor} focus={focus} />
          <StartBox problems={problems} status={status} onStart={start} urls={urls} />
          <FieldErrors id="start-errors" messages={startErrors} />
        </div>
        {previewing && (
          <aside id="builder-preview" class="builder-preview" aria-label="Preview">
            <p>
              <a href={urls.preview} target="_blank" rel="noopener">
                Open the preview in a new tab
              </a>
            </p>
            <iframe title="Preview of the taker's page" src={`${urls.preview}?at=${previewAt}`} />
          </aside>
        )}
      </div>
    </div>
  );
}

async function main() {
  const root = document.getElementById("builder");
  if (!root) return;
  const surveyId = Number(root.dataset.survey);
  const fetchJSON = fetcher(root.dataset.csrf);
  let kinds, survey;
  try {
    const [k, s] = await Promise.all([
      fetchJSON("GET", "/api/v1/kinds/", null),
      fetchJSON("GET", `/api/v1/surveys/${surveyId}/`, null),
    ]);
    if (k.status !== 200 || s.status !== 200 || s.body.status !== "draft") return;
    kinds = k.body;
    survey = s.body;
  } catch {
    return; // the server-drawn page stays, and works
  }
  const urls = { preview: root.dataset.preview, share: root.dataset.share, results: root.dataset.results };
  root.replaceChildren();
  root.classList.add("builder-ready");
  render(<Builder surveyId={surveyId} kinds={kinds} survey={survey} fetchJSON={fetchJSON} urls={urls} />, root);
}

main();
