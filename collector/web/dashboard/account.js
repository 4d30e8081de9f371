// Cairn vendor dashboard: one account's page, built from
// GET /v1/accounts/{id} (computed live, with its NPS), /history, /users,
// /tasks, /notes and /outcomes. The caller fetches; the tasks and notes
// parts also write (add a task or note, mark a task done) through the `api`
// the caller passes, then fetch their list again so the page shows what the
// server holds. A read-only token gets the lists without the forms and
// buttons that write. Data reaches the page only through text nodes and SVG
// attributes.
"use strict";

const CairnAccount = (() => {
  const { el, svg, percent, formatTime, humanize, money } = Cairn;
  const FACTORS = [
    ["frequency", "Login frequency"],
    ["trend", "Trend"],
    ["breadth", "Breadth (active users)"],
    ["time_to_value", "Time to value"],
    ["dependence", "Single-user dependence"],
    ["nps", "NPS"],
  ];

  function section(title, ...children) {
    return el("section", { class: "account-part" }, el("h3", {}, title), ...children);
  }

  function definitionList(pairs) {
    return el("dl", { class: "facts" }, pairs.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  }

  function scoreOf(value) {
    return value === null || value === undefined || !Number.isFinite(Number(value)) ? null : Number(value);
  }

  function healthPart(detail) {
    const healthObject = detail.health || {};
    const band = healthObject.band || "unknown";
    const factors = healthObject.factors || {};
    // A server without the optional factors sends none: no row for them.
    const rows = FACTORS.filter(([key]) => factors[key] !== undefined).map(([key, label]) => {
      const factor = factors[key] || {};
      const score = scoreOf(factor.score);
      const counted = Number(factor.weight) > 0;
      return el("tr", { "data-factor": key },
        el("th", { scope: "row" }, label),
        el("td", {},
          factor.applicable ? el("span", { class: `badge band-${factor.band}` }, factor.band) : "not applicable",
          factor.applicable && !counted ? el("span", { class: "muted" }, " (not counted)") : null),
        el("td", { class: "num" }, score === null ? "–" : percent(score)),
        el("td", { class: "num" }, factor.weight ?? "–"),
        el("td", { class: "reason" }, factor.reason || ""));
    });
    return section("Health",
      el("p", { class: "health-summary" },
        el("span", { class: `badge band-${band}` }, band),
        el("span", { class: "score big", "aria-label": `score ${healthObject.score} of 100` }, String(healthObject.score ?? "–")),
        healthObject.capped ? el("span", { class: "muted" }, "capped at poor: a factor is poor") : null,
        healthObject.profile === "onboarding"
          ? el("span", { class: "muted", id: "health-profile" }, "onboarding profile: a young account, scored on its onboarding weights")
          : null),
      el("div", { class: "table-scroll" },
        el("table", { class: "data", id: "factors" },
          el("caption", {}, "Factor breakdown"),
          el("thead", {}, el("tr", {},
            el("th", { scope: "col" }, "Factor"), el("th", { scope: "col" }, "Band"),
            el("th", { scope: "col", class: "num" }, "Score"), el("th", { scope: "col", class: "num" }, "Weight"),
            el("th", { scope: "col" }, "Why"))),
          el("tbody", {}, rows))));
  }

  // Daily health score as an SVG line over a 0-100 scale with the band
  // thresholds drawn as guides; scales with its box (viewBox), so it fits a
  // phone. `days` are oldest first.
  // The band thresholds of the vendor's health model (GET /v1/health-model,
  // settled), or the built-in ones when it could not be read.
  function bandThresholds(model) {
    const m = model && model.ok ? model.value : null;
    const watch = m && Number.isFinite(Number(m.watch_at)) ? Number(m.watch_at) : 40;
    const good = m && Number.isFinite(Number(m.good_at)) ? Number(m.good_at) : 70;
    return [watch, good];
  }

  function historyChart(days, thresholds = [40, 70]) {
    const width = 640, height = 180, left = 30, right = 8, top = 8, bottom = 22;
    const label = days.length
      ? `Health score per day from ${days[0].date} to ${days[days.length - 1].date}: ` +
        `${days[0].score} to ${days[days.length - 1].score}`
      : "No health history yet";
    const chart = svg("svg", {
      class: "history-chart", id: "history-chart", viewBox: `0 0 ${width} ${height}`,
      role: "img", "aria-label": label,
    });
    const title = svg("title", {});
    title.textContent = label;
    chart.append(title);
    const y = (score) => top + (1 - score / 100) * (height - top - bottom);
    for (const guide of [0, ...thresholds, 100]) {
      chart.append(svg("line", { class: "guide", "data-guide": guide, x1: left, x2: width - right, y1: y(guide), y2: y(guide) }));
      const text = svg("text", { class: "axis", x: left - 4, y: y(guide) + 4, "text-anchor": "end" });
      text.textContent = String(guide);
      chart.append(text);
    }
    if (days.length === 0) return chart;
    const step = days.length > 1 ? (width - left - right) / (days.length - 1) : 0;
    const points = days.map((d, i) => [left + i * step, y(Math.max(0, Math.min(100, Number(d.score) || 0)))]);
    chart.append(svg("polyline", { class: "score-line", points: points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ") }));
    days.forEach((d, i) => {
      const dot = svg("circle", { class: `day band-${d.band}`, cx: points[i][0].toFixed(1), cy: points[i][1].toFixed(1), r: 2.5 });
      const tip = svg("title", {});
      tip.textContent = `${d.date}: ${d.score} (${d.band}), ${d.logins_week} logins in the week, ${d.active_users} active users`;
      dot.append(tip);
      chart.append(dot);
    });
    for (const [index, anchor] of [[0, "start"], [days.length - 1, "end"]]) {
      const text = svg("text", { class: "axis", x: index === 0 ? left : width - right, y: height - 6, "text-anchor": anchor });
      text.textContent = days[index].date;
      chart.append(text);
    }
    return chart;
  }

  function historyPart(history, model) {
    const days = Array.isArray(history.days) ? history.days : [];
    return section("Health history, last 120 days",
      el("div", { class: "chart-box" }, historyChart(days, bandThresholds(model))),
      days.length ? null : el("p", { class: "empty" }, "No daily history yet: it fills in at each evaluation."));
  }

  function contextPart(detail) {
    const renewal = detail.renewal_date
      ? `${detail.renewal_date} (${Math.round((Date.parse(detail.renewal_date) - Date.now()) / 86400000)} days)`
      : "–";
    return section("Context and renewal", definitionList([
      ["Owner", detail.owner ?? "–"],
      ["Plan", detail.plan ?? "–"],
      ["ARR", money(detail.arr)],
      ["MRR", money(detail.mrr)],
      ["Segments", (detail.segments || []).join(", ") || "–"],
      ["Seats", detail.seats ?? "–"],
      ["Renewal", renewal],
      ["Login days, last 14", `${detail.login_days_14 ?? 0}/14`],
      ["Active users, 14 days", String((detail.breadth || {}).active_users_14 ?? 0)],
      ["Adoption (key milestones)", percent(detail.adoption)],
    ]));
  }

  // `onTask` (when given) prefills the task form with the open alert.
  function alertPart(detail, onTask) {
    const open = detail.open_alert;
    return section("Open alert", open
      ? el("p", { id: "account-alert" }, el("span", { class: `badge severity-${open.severity}` }, open.severity),
           ` opened ${formatTime(open.opened_at)} `,
           onTask && open.alert_id
             ? el("button", { type: "button", class: "secondary", id: "task-from-alert" }, "Add task from this alert")
             : null)
      : el("p", { class: "empty" }, "No open alert."));
  }

  // A part whose fetch failed: its heading and the reason, the rest of the
  // page unaffected.
  function failedPart(title, id, error) {
    return section(title, el("p", { class: "status error", id: `${id}-error` }, `Could not load: ${error}`));
  }

  // A status line inside a form: what the last write did, or the collector's
  // reason for refusing it.
  function setFormStatus(node, text, isError) {
    node.textContent = text;
    node.classList.toggle("error", Boolean(isError));
  }

  function refusal(answer) {
    return answer.status
      ? `Refused: the collector answered ${answer.status}: ${answer.text || "no reason given"}`
      : "Failed: cannot reach the collector.";
  }

  // Open tasks first, soonest due first (no due date last); then done ones,
  // most recently changed first.
  function sortTasks(tasks) {
    const open = tasks.filter((t) => t.status !== "done");
    const done = tasks.filter((t) => t.status === "done");
    open.sort((a, b) => (a.due || "9999-99-99").localeCompare(b.due || "9999-99-99"));
    done.sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
    return [...open, ...done];
  }

  // The due date with its state in words (never colour alone): "overdue",
  // "due today". Shared with the all-tasks list of the main view.
  function dueCell(task, today) {
    if (!task.due) return el("span", { class: "muted" }, "no due date");
    if (task.status === "done") return el("span", {}, task.due);
    if (task.due < today) {
      return el("span", { class: "overdue" }, task.due, " ", el("span", { class: "badge overdue-badge" }, "overdue"));
    }
    if (task.due === today) return el("span", {}, task.due, " ", el("span", { class: "badge due-today" }, "due today"));
    return el("span", {}, task.due);
  }

  function alertMarker(task) {
    return task.alert_id
      ? el("span", { class: "badge from-alert", title: `created from alert ${task.alert_id}` }, "from alert")
      : null;
  }

  function taskRows(tasks, onDone) {
    const today = Cairn.todayUtc();
    return sortTasks(tasks).map((t) =>
      el("tr", { "data-task": t.task_id, "data-status": t.status, class: t.status === "done" ? "task-done" : null },
        el("th", { scope: "row", class: "task-title" }, t.title, " ", alertMarker(t)),
        el("td", {}, t.owner || el("span", { class: "muted" }, "nobody")),
        el("td", {}, dueCell(t, today)),
        el("td", {}, el("span", { class: `badge task-${t.status}` }, t.status)),
        el("td", { class: "muted" }, t.created_by, " ", formatTime(t.created_at)),
        // No Done column at all for a read-only token.
        onDone && el("td", {}, t.status === "done" ? null
          : el("button", { type: "button", class: "secondary task-done-button", "data-task": t.task_id,
                           "aria-label": `Mark "${t.title}" done` }, "Done"))));
  }

  // What a part shows instead of its form for a read-only token.
  function readOnlyNote(id, text) {
    return el("p", { class: "muted read-only", id }, `Read-only token: ${text}`);
  }

  // The account's tasks (GET/POST /v1/accounts/{id}/tasks, PATCH .../{task}):
  // the list, and unless `writable` is false a form to add one and a Done
  // button per open task. Returns the section and `prefill(alert)` for the
  // alert part's button.
  function tasksPart(detail, initial, api, writable) {
    const base = `/v1/accounts/${encodeURIComponent(detail.account_id)}/tasks`;
    const listBox = el("div", { id: "tasks-list" });
    const status = el("p", { class: "status", id: "tasks-status", role: "status", "aria-live": "polite" });
    let alertId = "";
    const title = el("input", { type: "text", id: "task-title", name: "title", required: true, maxlength: 200 });
    const owner = el("input", { type: "text", id: "task-owner", name: "owner", maxlength: 64,
                                spellcheck: "false", placeholder: "token name" });
    const due = el("input", { type: "date", id: "task-due", name: "due" });
    const fromAlert = el("span", { id: "task-alert", class: "muted hidden" });
    const form = el("form", { class: "inline-form", id: "task-form", autocomplete: "off" },
      el("label", {}, "Title ", title), el("label", {}, "Owner ", owner), el("label", {}, "Due ", due),
      fromAlert, el("button", { type: "submit" }, "Add task"));

    function showList(tasks) {
      const rows = taskRows(tasks, writable ? markDone : null);
      listBox.replaceChildren(rows.length === 0
        ? el("p", { class: "empty", id: "tasks-empty" }, "No tasks yet.")
        : el("div", { class: "table-scroll" },
            el("table", { class: "data", id: "tasks" },
              el("thead", {}, el("tr", {},
                el("th", { scope: "col" }, "Task"), el("th", { scope: "col" }, "Owner"),
                el("th", { scope: "col" }, "Due"), el("th", { scope: "col" }, "Status"),
                el("th", { scope: "col" }, "Created"), writable && el("th", { scope: "col" }, ""))),
              el("tbody", {}, rows))));
    }

    // Fetches the list again after a write and then says `done`, so the
    // message never runs ahead of the list it describes.
    async function reload(done) {
      try {
        showList((await api.get(base)).tasks || []);
        setFormStatus(status, done, false);
      } catch (error) {
        setFormStatus(status, `${done} Could not reload the tasks: ${error.message}`, true);
      }
    }

    async function markDone(taskId) {
      setFormStatus(status, "Saving…", false);
      const answer = await api.send("PATCH", `${base}/${encodeURIComponent(taskId)}`, { status: "done" });
      if (!answer.ok) return setFormStatus(status, refusal(answer), true);
      await reload("Task marked done.");
    }

    listBox.addEventListener("click", (event) => {
      const button = event.target.closest("button.task-done-button");
      if (button) markDone(button.dataset.task);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { title: title.value.trim(), owner: owner.value.trim(), due: due.value || null };
      if (alertId) body.alert_id = alertId;
      setFormStatus(status, "Saving…", false);
      const answer = await api.send("POST", base, body);
      if (!answer.ok) return setFormStatus(status, refusal(answer), true);
      form.reset();
      prefill(null);
      await reload("Task added.");
    });

    function prefill(alert) {
      alertId = alert ? alert.alert_id : "";
      fromAlert.textContent = alert ? `from the ${alert.severity} alert opened ${formatTime(alert.opened_at)}` : "";
      fromAlert.classList.toggle("hidden", !alert);
      if (alert) {
        title.value = title.value || `Follow up the ${alert.severity} usage alert`;
        title.focus();
      }
    }

    if (initial.ok) showList(initial.value.tasks || []);
    else listBox.replaceChildren(el("p", { class: "status error", id: "tasks-error" }, `Could not load: ${initial.error}`));
    const controls = writable ? [form, status] : readOnlyNote("tasks-read-only", "tasks are shown, not added or marked done.");
    return { node: section("Tasks", listBox, controls), prefill };
  }

  function noteItems(notes) {
    return notes.map((n) =>
      el("li", { "data-note": n.note_id },
        el("div", { class: "note-meta" }, el("strong", {}, n.author), " ", el("time", { datetime: n.created_at }, formatTime(n.created_at))),
        el("p", { class: "note-text" }, n.text)));
  }

  // The account's notes (GET/POST /v1/accounts/{id}/notes), newest first as
  // the API lists them, and unless `writable` is false a form to add one.
  function notesPart(detail, initial, api, writable) {
    const base = `/v1/accounts/${encodeURIComponent(detail.account_id)}/notes`;
    const listBox = el("div", { id: "notes-list" });
    const status = el("p", { class: "status", id: "notes-status", role: "status", "aria-live": "polite" });
    const text = el("textarea", { id: "note-text", name: "text", required: true, maxlength: 4096, rows: 3 });
    const form = el("form", { class: "inline-form note-form", id: "note-form", autocomplete: "off" },
      el("label", {}, "Note ", text), el("button", { type: "submit" }, "Add note"));

    function showList(notes) {
      listBox.replaceChildren(notes.length === 0
        ? el("p", { class: "empty", id: "notes-empty" }, "No notes yet.")
        : el("ul", { class: "notes", id: "notes" }, noteItems(notes)));
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      setFormStatus(status, "Saving…", false);
      const answer = await api.send("POST", base, { text: text.value });
      if (!answer.ok) return setFormStatus(status, refusal(answer), true);
      form.reset();
      try {
        showList((await api.get(base)).notes || []);
        setFormStatus(status, "Note added.", false);
      } catch (error) {
        setFormStatus(status, `Note added. Could not reload the notes: ${error.message}`, true);
      }
    });

    if (initial.ok) showList(initial.value.notes || []);
    else listBox.replaceChildren(el("p", { class: "status error", id: "notes-error" }, `Could not load: ${initial.error}`));
    return section("Notes", listBox, writable ? [form, status] : readOnlyNote("notes-read-only", "notes are shown, not added."));
  }

  // NPS and CSAT figures (the detail's `nps`, or the overall summary's).
  // Shared with the main view's card.
  function npsFacts(scores, id) {
    if (!scores || typeof scores !== "object" || !scores.from_day) {
      return el("p", { class: "empty", id: `${id}-empty` }, "No survey data.");
    }
    const span = `${scores.from_day} to ${scores.to_day}`;
    const nps = scores.nps === null || scores.nps === undefined ? null : Number(scores.nps);
    const csat = scores.csat_mean === null || scores.csat_mean === undefined ? null : Number(scores.csat_mean);
    return el("div", { class: "nps", id },
      el("p", { class: "muted" }, `Latest answer per user, ${span}`),
      definitionList([
        ["NPS", nps === null ? "no answers" : el("span", { class: "nps-value", "data-nps": nps.toFixed(1) }, formatNps(nps))],
        ["NPS responses", String(scores.nps_responses ?? 0)],
        ["Promoters (9-10)", String(scores.promoters ?? 0)],
        ["Passives (7-8)", String(scores.passives ?? 0)],
        ["Detractors (0-6)", String(scores.detractors ?? 0)],
        ["CSAT mean (1-5)", csat === null ? "no answers" : el("span", { "data-csat": csat.toFixed(2) }, csat.toFixed(2))],
        ["CSAT responses", String(scores.csat_responses ?? 0)],
      ]));
  }

  // -100..100, one decimal unless whole, with its sign.
  function formatNps(value) {
    const text = Number.isInteger(value) ? String(value) : value.toFixed(1);
    return value > 0 ? `+${text}` : text;
  }

  function npsPart(detail) {
    return section("NPS and CSAT, last 90 days", npsFacts(detail.nps, "account-nps"));
  }

  // Renewal outcomes recorded for the account (GET .../outcomes), oldest
  // renewal first as the API lists them.
  function outcomesPart(initial) {
    if (!initial.ok) return failedPart("Renewal outcomes", "outcomes", initial.error);
    const outcomes = initial.value.outcomes || [];
    if (outcomes.length === 0) {
      return section("Renewal outcomes", el("p", { class: "empty", id: "outcomes-empty" }, "No renewal outcome recorded."));
    }
    return section("Renewal outcomes",
      el("div", { class: "table-scroll" },
        el("table", { class: "data", id: "outcomes" },
          el("thead", {}, el("tr", {},
            el("th", { scope: "col" }, "Renewal date"), el("th", { scope: "col" }, "Outcome"),
            el("th", { scope: "col", class: "num" }, "ARR before"), el("th", { scope: "col", class: "num" }, "ARR after"),
            el("th", { scope: "col" }, "Recorded"))),
          el("tbody", {}, outcomes.map((o) =>
            el("tr", { "data-renewal": o.renewal_date },
              el("th", { scope: "row" }, o.renewal_date),
              el("td", {}, el("span", { class: `badge outcome-${o.outcome}` }, o.outcome)),
              el("td", { class: "num" }, money(o.arr_before)),
              el("td", { class: "num" }, money(o.arr_after)),
              el("td", {}, formatTime(o.recorded_at))))))));
  }

  function duration(seconds) {
    const value = scoreOf(seconds);
    if (value === null) return "–";
    const days = value / 86400;
    return days >= 1 ? `${days.toFixed(1)} days` : `${(value / 3600).toFixed(1)} hours`;
  }

  function milestonesPart(detail) {
    const milestones = Array.isArray(detail.milestones) ? detail.milestones : [];
    if (milestones.length === 0) return section("Milestones", el("p", { class: "empty" }, "No milestone reached yet."));
    return section("Milestones and time to value",
      el("div", { class: "table-scroll" },
        el("table", { class: "data", id: "milestones" },
          el("thead", {}, el("tr", {},
            el("th", { scope: "col" }, "Milestone"), el("th", { scope: "col" }, "First reached"),
            el("th", { scope: "col", class: "num" }, "Time to value"), el("th", { scope: "col" }, "Key"))),
          el("tbody", {}, milestones.map((m) =>
            el("tr", { "data-milestone": m.name },
              el("th", { scope: "row" }, humanize(m.name)),
              el("td", {}, formatTime(m.first_reached)),
              el("td", { class: "num" }, duration(m.time_to_value_seconds)),
              el("td", {}, m.key ? "key" : "")))))));
  }

  function goalsPart(detail) {
    const goals = Array.isArray(detail.goals) ? detail.goals : [];
    if (goals.length === 0) return section("Goals", el("p", { class: "empty" }, "No goals."));
    return section("Goals", el("ul", { class: "goals" }, goals.map((g) =>
      el("li", { "data-goal": g.goal_id },
        el("span", { class: "goal-name" }, g.name),
        el("span", { class: `badge status-${g.status}` }, humanize(g.status)),
        el("div", {}, Cairn.progressBar(g.fraction, `${g.name}: ${g.count} of ${g.target_count}`,
                                        { status: g.status, expected: g.expected, width: 200 }),
           ` ${g.count} / ${g.target_count}`),
        el("div", { class: "goal-meta" }, `${humanize(g.milestone_name)}, since ${g.start}`, g.due ? `, due ${g.due}` : "")))));
  }

  // Who uses the account (GET /v1/accounts/{id}/users): pseudonymised ids as
  // stored, most logins first; the champion is marked, and a warning shows
  // when one user carries the account.
  function usersPart(users) {
    const rows = Array.isArray(users.users) ? users.users : [];
    const champion = users.champion ? users.champion.user_id : null;
    const warning = users.single_user_dependence
      ? el("p", { class: "dependence-warning", id: "users-dependence", role: "alert" },
           el("span", { class: "badge severity-severe" }, "single-user dependence"),
           ` One user holds ${percent(users.top_user_share_28)} of the last 28 days' logins:` +
           " the account depends on them.")
      : null;
    const summary = champion
      ? el("p", { id: "users-champion" }, "Champion: ", el("strong", {}, champion),
           ` (${users.champion.active_days_28} active days, ${users.champion.logins_28} logins in 28 days)`)
      : null;
    if (rows.length === 0) {
      return section("Users", el("p", { class: "empty", id: "users-empty" }, `No user logged in in the last ${users.days ?? 90} days.`));
    }
    return section(`Users, last ${users.days ?? 90} days`, warning, summary,
      el("div", { class: "table-scroll" },
        el("table", { class: "data", id: "users" },
          el("thead", {}, el("tr", {},
            el("th", { scope: "col" }, "User"), el("th", { scope: "col", class: "num" }, "Active days"),
            el("th", { scope: "col" }, "Last seen"), el("th", { scope: "col", class: "num" }, "Logins"),
            el("th", { scope: "col", class: "num" }, "Milestones"))),
          el("tbody", {}, rows.map((u) =>
            el("tr", { "data-user": u.user_id, class: u.user_id === champion ? "champion" : null },
              el("th", { scope: "row", class: "user-id" }, u.user_id,
                 u.user_id === champion ? el("span", { class: "badge champion-badge" }, "champion") : null),
              el("td", { class: "num" }, String(u.active_days ?? 0)),
              el("td", {}, u.last_seen || "–"),
              el("td", { class: "num" }, `${u.logins ?? 0} (${percent(u.login_share)})`),
              el("td", { class: "num", title: (u.milestones || []).map((m) => m.name).join(", ") },
                 String(u.milestones_reached ?? 0))))))),
      Number(users.total) > rows.length ? el("p", { class: "muted" }, `${rows.length} of ${users.total} users shown.`) : null);
  }

  // The account page's sections, in reading order. `workflow` holds the
  // settled fetches {tasks, notes, outcomes} (each {ok, value} or
  // {ok: false, error}), the `api` ({get, send}) the parts write through and
  // `canWrite`: false (a read-only token) leaves out every write control.
  function render(detail, history, users, workflow) {
    const writable = workflow.canWrite !== false;
    const tasks = tasksPart(detail, workflow.tasks, workflow.api, writable);
    const alert = alertPart(detail, writable ? tasks.prefill : null);
    const button = alert.querySelector("#task-from-alert");
    if (button) {
      button.addEventListener("click", () => {
        tasks.prefill(detail.open_alert);
        tasks.node.scrollIntoView({ block: "nearest" });
      });
    }
    return [healthPart(detail), historyPart(history, workflow.model), contextPart(detail), alert, tasks.node,
            notesPart(detail, workflow.notes, workflow.api, writable), npsPart(detail), outcomesPart(workflow.outcomes),
            milestonesPart(detail), goalsPart(detail), usersPart(users || {})];
  }

  return { render, historyChart, dueCell, alertMarker, npsFacts };
})();
