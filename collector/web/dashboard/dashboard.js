// Cairn vendor dashboard: accounts riskiest first, open alerts, upcoming
// renewals, from the collector's admin JSON API. The admin token comes from
// the URL fragment (#token=...) or the form, stays in this tab's
// sessionStorage, and is sent only as an Authorization header.
"use strict";

(() => {
  const { el, sparkline, percent, formatTime, setState } = Cairn;
  const TOKEN_KEY = "cairn-admin-token";
  const MAX_PAGES = 10;  // 10 x 100 accounts on one page is plenty to read

  class HttpError extends Error {
    constructor(status, text) {
      super(text || `HTTP ${status}`);
      this.status = status;
    }
  }

  async function get(path, token) {
    const answer = await Cairn.getJson(path, "Bearer " + token);
    if (!answer.ok) throw new HttpError(answer.status, answer.text);
    return answer.json;
  }

  function show(id, visible) {
    document.getElementById(id).classList.toggle("hidden", !visible);
  }

  function bandBadge(health) {
    const band = (health && health.band) || "unknown";
    return el("span", { class: `badge band-${band}` }, band);
  }

  function health(healthObject) {
    const score = healthObject && Number.isFinite(Number(healthObject.score)) ? Number(healthObject.score) : null;
    return el("span", { class: "health" }, bandBadge(healthObject),
              score === null ? null : el("span", { class: "score", "aria-label": `score ${score} of 100` }, String(score)));
  }

  function trendCell(trend) {
    if (!trend) return el("span", { class: "trend-flat" }, "n/a");
    const ratio = trend.ratio;
    const thisWeek = trend.this_week;
    const mean = Number(trend.baseline_mean);
    const meanText = Number.isFinite(mean) ? mean.toFixed(1) : "n/a";
    let arrow = "→", cls = "trend-flat", words = "steady";
    if (ratio !== null && ratio !== undefined && Number.isFinite(Number(ratio))) {
      if (Number(ratio) < 0.75) { arrow = "↓"; cls = "trend-down"; words = "down"; }
      else if (Number(ratio) > 1.25) { arrow = "↑"; cls = "trend-up"; words = "up"; }
    }
    return el("span", { class: cls, title: `${words}: ${thisWeek} logins this week, 4-week mean ${meanText}` },
              `${arrow} ${thisWeek} vs ${meanText}`,
              ratio === null || ratio === undefined ? null : ` (${percent(ratio)})`);
  }

  function alertCell(openAlert) {
    if (!openAlert) return el("span", { class: "trend-flat" }, "none");
    return el("span", { class: `badge severity-${openAlert.severity}`, title: `opened ${formatTime(openAlert.opened_at)}` },
              `⚠ ${openAlert.severity}`);
  }

  function accountRow(account) {
    const band = (account.health && account.health.band) || "unknown";
    const weekly = Array.isArray(account.weekly_logins) ? account.weekly_logins : [];
    const down = account.trend && Number(account.trend.ratio) < 0.75;
    const spark = sparkline(weekly, `Weekly logins, oldest first: ${weekly.join(", ") || "none"}`, { down, width: 100 });
    const breadth = account.breadth || {};
    const breadthText = breadth.denominator
      ? `${breadth.active_users_14}/${breadth.denominator}`
      : `${breadth.active_users_14 ?? 0}`;
    const breadthTitle = breadth.denominator
      ? `${percent(breadth.ratio)} of ${breadth.basis === "seats" ? "seats" : "the 90-day peak"} active in 14 days`
      : "active users in 14 days";
    return el("tr", { class: `band-row-${band}`, "data-account": account.account_id },
      el("th", { scope: "row" }, account.account_id),
      el("td", {}, health(account.health)),
      el("td", { class: "num", title: account.frequency_band ? `${account.frequency_band} (login days of the last 14)` : null },
         `${account.login_days_14 ?? 0}/14`),
      el("td", {}, spark),
      el("td", {}, trendCell(account.trend)),
      el("td", { class: "num", title: breadthTitle }, breadthText),
      el("td", { class: "num" }, percent(account.adoption)),
      el("td", { class: "num" }, account.seats ?? "–"),
      el("td", {}, account.renewal_date || "–"),
      el("td", {}, alertCell(account.open_alert)));
  }

  function fillTable(tableId, emptyId, rows) {
    const body = document.querySelector(`#${tableId} tbody`);
    body.replaceChildren(...rows);
    show(tableId, rows.length > 0);
    show(emptyId, rows.length === 0);
  }

  async function loadAccounts(token) {
    let accounts = [];
    let pageToken = "";
    let asOf = "";
    let pages = 0;
    do {
      const query = "/v1/accounts?limit=100" + (pageToken ? "&page_token=" + encodeURIComponent(pageToken) : "");
      const page = await get(query, token);
      accounts = accounts.concat(page.accounts || []);
      asOf = asOf || page.as_of || "";
      pageToken = page.next_page_token || "";
      pages += 1;
    } while (pageToken && pages < MAX_PAGES);
    return { accounts, asOf, more: Boolean(pageToken) };
  }

  function render(accounts, alerts, renewals) {
    document.getElementById("as-of").textContent = accounts.asOf ? `as of ${formatTime(accounts.asOf)}` : "";
    fillTable("accounts", "accounts-empty", accounts.accounts.map(accountRow));
    const more = document.getElementById("accounts-more");
    more.textContent = accounts.more ? `Showing the ${accounts.accounts.length} riskiest accounts; use cairnctl at-risk --all for the rest.` : "";
    show("accounts-more", accounts.more);

    fillTable("alerts", "alerts-empty", (alerts.alerts || []).map((a) =>
      el("tr", { "data-account": a.account_id },
        el("th", { scope: "row" }, a.account_id),
        el("td", {}, el("span", { class: `badge severity-${a.severity}` }, a.severity)),
        el("td", {}, formatTime(a.opened_at)),
        el("td", { class: "num" }, a.this_week),
        el("td", { class: "num" }, Number.isFinite(Number(a.baseline_mean)) ? Number(a.baseline_mean).toFixed(1) : "n/a"),
        el("td", { class: "num" }, percent(a.ratio)),
        el("td", { title: a.delivery && a.delivery.last_error ? a.delivery.last_error : null },
           a.delivery ? a.delivery.state : ""))));

    fillTable("renewals", "renewals-empty", (renewals.renewals || []).map((r) =>
      el("tr", { "data-account": r.account_id },
        el("th", { scope: "row" }, r.account_id),
        el("td", {}, r.renewal_date),
        el("td", { class: "num" }, r.days_left),
        el("td", {}, health(r.health)),
        el("td", { class: "num" }, `${(r.notification_recipients || []).length}${r.recipients_truncated ? "+" : ""}`))));

    for (const id of ["accounts-section", "alerts-section", "renewals-section"]) show(id, true);
  }

  function askForToken(message, isError) {
    for (const id of ["accounts-section", "alerts-section", "renewals-section", "sign-out"]) show(id, false);
    show("token-form", true);
    setState(isError ? "error" : "need-token", message, isError);
    document.getElementById("token-input").focus();
  }

  async function load(token) {
    show("token-form", false);
    show("sign-out", true);
    setState("loading", "Loading…", false);
    try {
      const [accounts, alerts, renewals] = await Promise.all([
        loadAccounts(token),
        get("/v1/alerts?state=open", token),
        get("/v1/renewals/upcoming?within_days=90", token),
      ]);
      render(accounts, alerts, renewals);
      setState("ready", "", false);
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        Cairn.forgetToken(TOKEN_KEY);
        askForToken("Token refused: the collector did not accept this admin token.", true);
      } else if (error instanceof HttpError && error.status === 404) {
        setState("error", "Not found: the admin API is off on this collector (start it with --admin-token-file).", true);
      } else if (error instanceof HttpError) {
        setState("error", `The collector answered ${error.status}: ${error.message}`, true);
      } else {
        setState("error", "Network error: cannot reach the collector.", true);
      }
    }
  }

  function start() {
    document.getElementById("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = document.getElementById("token-input").value.trim();
      if (!token) return;
      try { sessionStorage.setItem(TOKEN_KEY, token); } catch (e) { /* storage off */ }
      document.getElementById("token-input").value = "";
      load(token);
    });
    document.getElementById("sign-out").addEventListener("click", () => {
      Cairn.forgetToken(TOKEN_KEY);
      askForToken("Token forgotten. Enter an admin token to see the accounts.", false);
    });
    const token = Cairn.takeToken(TOKEN_KEY, true);
    if (token) load(token);
    else askForToken("Enter an admin token to see the accounts.", false);
  }

  start();
})();
