// Cairn vendor dashboard: one account's page, built from
// GET /v1/accounts/{id} (computed live), /v1/accounts/{id}/history and
// /v1/accounts/{id}/users. Pure rendering: the caller fetches and handles
// failures. Data reaches the page only through text nodes and SVG attributes.
"use strict";

const CairnAccount = (() => {
  const { el, svg, percent, formatTime, humanize, money } = Cairn;
  const FACTORS = [
    ["frequency", "Login frequency"],
    ["trend", "Trend"],
    ["breadth", "Breadth (active users)"],
    ["time_to_value", "Time to value"],
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
    const rows = FACTORS.map(([key, label]) => {
      const factor = factors[key] || {};
      const score = scoreOf(factor.score);
      return el("tr", { "data-factor": key },
        el("th", { scope: "row" }, label),
        el("td", {}, factor.applicable ? el("span", { class: `badge band-${factor.band}` }, factor.band) : "not applicable"),
        el("td", { class: "num" }, score === null ? "–" : percent(score)),
        el("td", { class: "num" }, factor.weight ?? "–"),
        el("td", { class: "reason" }, factor.reason || ""));
    });
    return section("Health",
      el("p", { class: "health-summary" },
        el("span", { class: `badge band-${band}` }, band),
        el("span", { class: "score big", "aria-label": `score ${healthObject.score} of 100` }, String(healthObject.score ?? "–")),
        healthObject.capped ? el("span", { class: "muted" }, "capped at poor: a factor is poor") : null),
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
  function historyChart(days) {
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
    for (const guide of [0, 40, 70, 100]) {
      chart.append(svg("line", { class: "guide", x1: left, x2: width - right, y1: y(guide), y2: y(guide) }));
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

  function historyPart(history) {
    const days = Array.isArray(history.days) ? history.days : [];
    return section("Health history, last 120 days",
      el("div", { class: "chart-box" }, historyChart(days)),
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

  function alertPart(detail) {
    const open = detail.open_alert;
    return section("Open alert", open
      ? el("p", { id: "account-alert" }, el("span", { class: `badge severity-${open.severity}` }, open.severity),
           ` opened ${formatTime(open.opened_at)}`)
      : el("p", { class: "empty" }, "No open alert."));
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

  // The account page's sections, in reading order.
  function render(detail, history, users) {
    return [healthPart(detail), historyPart(history), contextPart(detail), alertPart(detail),
            milestonesPart(detail), goalsPart(detail), usersPart(users || {})];
  }

  return { render, historyChart };
})();
