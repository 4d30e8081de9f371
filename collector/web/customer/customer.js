// Cairn customer view: one account's milestones as a timeline and its goals
// with progress bars. The account is whatever the signed link in the URL
// fragment (#token=...) names: the page sends only that token, as
// "Authorization: CustomerLink <token>", and never an account id.
"use strict";

(() => {
  const { el, progressBar, formatTime, humanize, setState } = Cairn;
  const TOKEN_KEY = "cairn-customer-link";
  const INVALID = "This link is not valid or has expired.";

  const STATUS_TEXT = {
    achieved: "Achieved",
    on_track: "On track",
    at_risk: "At risk",
    missed: "Missed",
  };

  // Everything but the message goes: no partial data stays on screen.
  function invalidLink() {
    const main = document.getElementById("main");
    main.replaceChildren(el("p", { class: "invalid-link", id: "status", role: "alert" }, INVALID));
    document.getElementById("title").textContent = "Link not valid";
    document.getElementById("as-of").textContent = "";
    document.body.dataset.state = "invalid";
  }

  function show(id, visible) {
    document.getElementById(id).classList.toggle("hidden", !visible);
  }

  function milestoneItem(m) {
    const date = String(m.first_reached || "");
    const events = Number(m.events);
    return el("li", { "data-milestone": m.name },
      el("span", { class: "milestone-name" }, humanize(m.name)),
      el("time", { datetime: date }, formatTime(date)),
      Number.isFinite(events) && events > 0
        ? el("span", { class: "events" }, ` · ${events} time${events === 1 ? "" : "s"}`) : null);
  }

  function goalItem(g) {
    const count = Number(g.count) || 0;
    const target = Number(g.target_count) || 0;
    const fraction = target > 0 ? Math.min(1, count / target) : 0;
    const status = String(g.status || "");
    const label = `${g.name}: ${count} of ${target}`;
    return el("li", { "data-goal": g.goal_id },
      el("div", {},
        el("span", { class: "goal-name" }, g.name),
        el("span", { class: `badge status-${status}` }, STATUS_TEXT[status] || status)),
      el("div", {},
        progressBar(fraction, label, { status, expected: target > 0 ? Number(g.expected) / target : null }),
        el("span", { class: "goal-count" }, ` ${count} / ${target}`)),
      el("div", { class: "goal-meta" },
        `${humanize(g.milestone_name)} · since ${g.start || "?"}`,
        g.due ? ` · due ${g.due}` : " · no due date",
        Number.isFinite(Number(g.expected)) && g.due ? ` · ${Number(g.expected).toFixed(1)} expected by now` : ""));
  }

  function render(overview) {
    document.getElementById("title").textContent = `Your progress · ${overview.account_id}`;
    document.title = `Your progress · ${overview.account_id}`;
    document.getElementById("as-of").textContent = overview.as_of ? `as of ${formatTime(overview.as_of)}` : "";
    const milestones = Array.isArray(overview.milestones) ? overview.milestones : [];
    const goals = Array.isArray(overview.goals) ? overview.goals : [];
    document.getElementById("milestones").replaceChildren(...milestones.map(milestoneItem));
    show("milestones", milestones.length > 0);
    show("milestones-empty", milestones.length === 0);
    document.getElementById("goals").replaceChildren(...goals.map(goalItem));
    show("goals", goals.length > 0);
    show("goals-empty", goals.length === 0);
    show("milestones-section", true);
    show("goals-section", true);
  }

  async function start() {
    // The customer keeps the link (a bookmark), so the fragment stays.
    const token = Cairn.takeToken(TOKEN_KEY, false);
    if (!token) {
      invalidLink();
      return;
    }
    try {
      const answer = await Cairn.getJson("/v1/customer/overview", "CustomerLink " + token);
      if (answer.status === 401 || answer.status === 403 || answer.status === 404) {
        Cairn.forgetToken(TOKEN_KEY);
        invalidLink();
        return;
      }
      if (!answer.ok) {
        setState("error", "Your progress cannot be shown right now. Please try again later.", true);
        return;
      }
      render(answer.json);
      setState("ready", "", false);
    } catch (error) {
      setState("error", "Network error: cannot reach the server. Please try again later.", true);
    }
  }

  start();
})();
