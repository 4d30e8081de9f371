// Cairn vendor dashboard: the account list (search, filters, sort, paging,
// CSV), open alerts, open tasks of every account, upcoming renewals with the
// ARR forecast, NPS, retention and the health backtest, and one account's
// page, from the collector's admin JSON API. The admin token comes
// from the URL fragment (#token=...) or the form, stays in this tab's
// sessionStorage, and is sent only as an Authorization header; its role
// (GET /v1/whoami) decides whether the account page offers its write
// forms. The view (filters, page, open account) lives in the fragment too,
// so a reload or the back button keeps it; the token is taken out of it
// first.
"use strict";

(() => {
  const { el, sparkline, percent, formatTime, setState, money } = Cairn;
  const TASKS_PAGE_SIZE = 25;
  const TOKEN_KEY = "cairn-admin-token";
  const PAGE_SIZE = 50;
  const RENEWALS_PAGE_SIZE = 20;
  const FILTERS = ["q", "band", "owner", "plan", "segment", "alert", "sort"];
  // towner/tfrom: the open-tasks list's owner filter and page token; bdays:
  // the backtest's days before renewal (the API's default, 30, when unset).
  const VIEW_KEYS = [...FILTERS, "from", "rfrom", "towner", "tfrom", "bdays", "account"];
  const BACKTEST_DAYS = ["0", "7", "30", "60", "90"];
  const LIST_SECTIONS = ["accounts-section", "alerts-section", "tasks-section", "renewals-section",
                         "nps-section", "retention-section", "backtest-section"];
  let token = "";

  class HttpError extends Error {
    constructor(status, text) {
      super(text || `HTTP ${status}`);
      this.status = status;
    }
  }

  async function get(path) {
    const answer = await Cairn.getJson(path, "Bearer " + token);
    if (!answer.ok) throw new HttpError(answer.status, answer.text);
    return answer.json;
  }

  // The calls the account page's tasks and notes make.
  const api = {
    get,
    send: async (method, path, body) => {
      try {
        return await Cairn.sendJson(method, path, "Bearer " + token, body);
      } catch (error) {
        return { status: 0, ok: false, json: null, text: "" };
      }
    },
  };

  // The token's name and role (GET /v1/whoami), asked once per token and
  // never failing: {ok: true, value} or {ok: false}.
  let caller = null;
  let callerToken = "";
  function whoami() {
    if (!caller || callerToken !== token) {
      callerToken = token;
      caller = get("/v1/whoami").then((value) => ({ ok: true, value }), () => ({ ok: false }));
    }
    return caller;
  }

  // False only for a token the collector says is read-only: if whoami
  // failed (an older collector, a network error) the forms stay, and the
  // server's 403 still guards every write.
  function canWrite(who) {
    return !(who.ok && who.value && who.value.role === "read");
  }

  // A fetch whose failure is shown in its own section instead of failing
  // the page: {ok: true, value} or {ok: false, error: text}. A refused
  // token (401) still fails the page, as every other call would too.
  async function settle(path) {
    try {
      return { ok: true, value: await get(path) };
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) throw error;
      return { ok: false, error: error instanceof HttpError
        ? `the collector answered ${error.status}: ${error.message}` : "cannot reach the collector" };
    }
  }

  function show(id, visible) {
    document.getElementById(id).classList.toggle("hidden", !visible);
  }

  // ---- the view in the fragment ----

  function readView() {
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    const view = {};
    for (const key of VIEW_KEYS) view[key] = params.get(key) || "";
    return view;
  }

  function viewHash(view) {
    const params = new URLSearchParams();
    for (const key of VIEW_KEYS) if (view[key]) params.set(key, view[key]);
    return "#" + params.toString();
  }

  // The list's query string: the filters plus `extra` (paging, format).
  function listQuery(view, extra) {
    const params = new URLSearchParams();
    for (const key of FILTERS) if (view[key]) params.set(key, view[key]);
    for (const [key, value] of Object.entries(extra)) if (value) params.set(key, value);
    return params.toString();
  }

  function go(view) {
    window.location.hash = viewHash(view);
  }

  // ---- cells ----

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

  // The account id as a link to its page; the list's view rides along so
  // "back" returns to the same filters and page.
  function accountLink(accountId, view) {
    return el("a", { href: viewHash({ ...view, account: accountId }) }, accountId);
  }

  function accountRow(account, view) {
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
      el("th", { scope: "row" }, accountLink(account.account_id, view)),
      el("td", {}, health(account.health)),
      el("td", { class: "num", title: account.frequency_band ? `${account.frequency_band} (login days of the last 14)` : null },
         `${account.login_days_14 ?? 0}/14`),
      el("td", {}, spark),
      el("td", {}, trendCell(account.trend)),
      el("td", { class: "num", title: breadthTitle }, breadthText),
      el("td", { class: "num" }, percent(account.adoption)),
      el("td", { class: "num" }, account.seats ?? "–"),
      el("td", {}, account.renewal_date || "–"),
      el("td", { class: "owner" }, account.owner ?? "–"),
      el("td", { class: "plan" }, account.plan ?? "–"),
      el("td", { class: "num" }, money(account.arr)),
      el("td", { class: "segments" }, (account.segments || []).join(", ") || "–"),
      el("td", {}, alertCell(account.open_alert)));
  }

  function fillTable(tableId, emptyId, rows) {
    const body = document.querySelector(`#${tableId} tbody`);
    body.replaceChildren(...rows);
    show(tableId, rows.length > 0);
    if (emptyId) show(emptyId, rows.length === 0);
  }

  // "1-50 of 312" and the prev/next buttons of one pager. `from` is the
  // page's offset (the API's page tokens are offsets), `size` the page size.
  function renderPager(prefix, from, size, shown, total, nextToken, onPage) {
    const start = Number(from) || 0;
    document.getElementById(`${prefix}-range`).textContent =
      total === 0 ? "0 of 0" : `${start + 1}-${start + shown} of ${total}`;
    const prev = document.getElementById(`${prefix}-prev`);
    const next = document.getElementById(`${prefix}-next`);
    prev.disabled = start === 0;
    next.disabled = !nextToken;
    prev.onclick = () => onPage(String(Math.max(0, start - size)));
    next.onclick = () => onPage(nextToken);
  }

  // ---- CSV: fetched with the Authorization header, saved from a Blob, so
  // the token never sits in a URL ----

  async function downloadCsv(path, fileName) {
    const status = document.getElementById("csv-status");
    status.classList.remove("error");
    status.textContent = "Preparing CSV…";
    try {
      const response = await fetch(path, {
        headers: { "Authorization": "Bearer " + token, "Accept": "text/csv" },
        cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer",
      });
      if (!response.ok) throw new HttpError(response.status, (await response.text()).trim());
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: fileName, class: "hidden" });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 0);
      status.textContent = `Downloaded ${fileName}.`;
    } catch (error) {
      status.classList.add("error");
      status.textContent = error instanceof HttpError
        ? `CSV export failed: the collector answered ${error.status}: ${error.message}`
        : "CSV export failed: cannot reach the collector.";
    }
  }

  function csvButton(id, path, fileName) {
    const button = document.getElementById(id);
    button.dataset.csvPath = path;
    button.onclick = () => downloadCsv(path, fileName);
  }

  // ---- the list view ----

  function fillForm(view) {
    for (const key of ["q", "band", "owner", "plan", "segment"]) document.getElementById(`f-${key}`).value = view[key];
    document.getElementById("f-alert").checked = view.alert === "open";
    document.getElementById("f-sort").value = view.sort || "risk";
  }

  function formView() {
    const view = {};
    for (const key of ["q", "band", "owner", "plan", "segment"]) view[key] = document.getElementById(`f-${key}`).value.trim();
    view.alert = document.getElementById("f-alert").checked ? "open" : "";
    const sort = document.getElementById("f-sort").value;
    view.sort = sort === "risk" ? "" : sort;
    return view;
  }

  function fillDatalist(id, groups) {
    document.getElementById(id).replaceChildren(
      ...(groups.groups || []).filter((g) => g.key).map((g) => el("option", { value: g.key })));
  }

  function renderAccounts(page, view) {
    document.getElementById("as-of").textContent = page.as_of ? `as of ${formatTime(page.as_of)}` : "";
    const sortLabel = document.getElementById("f-sort").selectedOptions[0];
    document.getElementById("accounts-heading").textContent = `Accounts, ${sortLabel ? sortLabel.textContent : "riskiest first"}`;
    const accounts = page.accounts || [];
    fillTable("accounts", "accounts-empty", accounts.map((a) => accountRow(a, view)));
    renderPager("accounts", view.from, PAGE_SIZE, accounts.length, Number(page.total) || 0, page.next_page_token,
                (from) => go({ ...view, from }));
    csvButton("accounts-csv", "/v1/accounts?" + listQuery(view, { format: "csv" }), "accounts.csv");
  }

  function renderAlerts(alerts) {
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
  }

  function renderRenewals(renewals, view) {
    const rows = renewals.renewals || [];
    fillTable("renewals", "renewals-empty", rows.map((r) =>
      el("tr", { "data-account": r.account_id },
        el("th", { scope: "row" }, accountLink(r.account_id, view)),
        el("td", {}, r.renewal_date),
        el("td", { class: "num" }, r.days_left),
        el("td", {}, health(r.health)),
        el("td", { class: "num" }, money(r.arr)),
        el("td", {}, r.owner ?? "–"),
        el("td", { class: "num" }, `${(r.notification_recipients || []).length}${r.recipients_truncated ? "+" : ""}`))));
    renderPager("renewals", view.rfrom, RENEWALS_PAGE_SIZE, rows.length, Number(renewals.total) || 0, renewals.next_page_token,
                (rfrom) => go({ ...view, rfrom }));
    csvButton("renewals-csv", "/v1/renewals/upcoming?" + listQuery(view, { within_days: "90", format: "csv" }),
              "renewals.csv");
  }

  function renderForecast(forecast) {
    document.getElementById("forecast-total").textContent =
      `ARR at risk (poor and watch) over the next 12 months: ${money(forecast.arr_at_risk)}`;
    fillTable("forecast", null, (forecast.months || []).map((m) =>
      el("tr", { "data-month": m.month },
        el("th", { scope: "row" }, m.month),
        el("td", { class: "num" }, m.accounts),
        el("td", { class: "num" }, money(m.arr)),
        el("td", { class: "num at-risk" }, money(Number(m.arr_poor || 0) + Number(m.arr_watch || 0))),
        el("td", { class: "num" }, m.poor),
        el("td", { class: "num" }, m.watch),
        el("td", { class: "num" }, m.good))));
  }

  // ---- open tasks of every account, NPS, retention, backtest: each from
  // its own call, so one failing endpoint leaves the others on the page ----

  function sectionError(id, result) {
    const node = document.getElementById(`${id}-error`);
    node.textContent = result.ok ? "" : `Could not load: ${result.error}`;
    show(`${id}-error`, !result.ok);
    return result.ok;
  }

  function renderTasks(result, view) {
    document.getElementById("t-owner").value = view.towner;
    const ok = sectionError("all-tasks", result);
    const page = ok ? result.value : { tasks: [] };
    const today = Cairn.todayUtc();
    const tasks = page.tasks || [];
    fillTable("all-tasks", ok ? "all-tasks-empty" : null, tasks.map((t) =>
      el("tr", { "data-task": t.task_id, "data-account": t.account_id },
        el("td", {}, CairnAccount.dueCell(t, today)),
        el("th", { scope: "row" }, accountLink(t.account_id, view)),
        el("td", { class: "task-title" }, t.title, " ", CairnAccount.alertMarker(t)),
        el("td", {}, t.owner || el("span", { class: "muted" }, "nobody")),
        el("td", { class: "muted" }, t.created_by))));
    if (!ok) show("all-tasks-empty", false);
    document.getElementById("tasks-range").textContent =
      `${tasks.length} shown${page.next_page_token ? ", more on the next page" : ""}`;
    const first = document.getElementById("tasks-first");
    const next = document.getElementById("tasks-next");
    first.disabled = !view.tfrom;
    next.disabled = !page.next_page_token;
    first.onclick = () => go({ ...view, tfrom: "" });
    next.onclick = () => go({ ...view, tfrom: page.next_page_token });
  }

  function renderNps(result) {
    const box = document.getElementById("nps-summary");
    if (!sectionError("nps", result)) return box.replaceChildren();
    box.replaceChildren(CairnAccount.npsFacts(result.value.overall, "nps-overall"));
  }

  function ratioCell(value) {
    return el("td", { class: "num" }, value === null || value === undefined ? "–" : percent(value));
  }

  function retentionRow(f, isTotal) {
    return el("tr", { "data-month": f.month, class: isTotal ? "total" : null },
      el("th", { scope: "row" }, isTotal ? "All months" : f.month),
      el("td", { class: "num" }, f.renewals ?? 0),
      el("td", { class: "num" }, f.renewed ?? 0),
      el("td", { class: "num" }, f.churned ?? 0),
      el("td", { class: "num" }, f.downgraded ?? 0),
      el("td", { class: "num" }, f.expanded ?? 0),
      el("td", { class: "num" }, money(f.arr_before)),
      el("td", { class: "num" }, money(f.arr_after)),
      ratioCell(f.gross_retention),
      ratioCell(f.net_retention),
      ratioCell(f.churn_rate));
  }

  function renderRetention(result) {
    const ok = sectionError("retention", result);
    const report = ok ? result.value : {};
    const total = report.total || {};
    const any = Number(total.renewals) > 0;
    const months = (report.months || []).slice().reverse();
    fillTable("retention", null, any ? [...months.map((m) => retentionRow(m, false)), retentionRow(total, true)] : []);
    show("retention-empty", ok && !any);
  }

  function backtestDays(view) {
    return BACKTEST_DAYS.includes(view.bdays) ? view.bdays : "30";
  }

  function renderBacktest(result, view) {
    document.getElementById("b-days").value = backtestDays(view);
    const ok = sectionError("backtest", result);
    const report = ok ? result.value : {};
    const bands = report.bands || [];
    const any = bands.some((b) => Number(b.renewals) > 0);
    document.getElementById("backtest-days").textContent = ok ? String(report.days_before) : "N";
    document.getElementById("backtest-precision").textContent = ok ? percent(report.precision) : "";
    document.getElementById("backtest-recall").textContent = ok ? percent(report.recall) : "";
    show("backtest-figures", ok && any);
    fillTable("backtest", null, any ? bands.map((b) => {
      const lost = Number(b.churned || 0) + Number(b.downgraded || 0);
      return el("tr", { "data-band": b.band },
        el("th", { scope: "row" }, el("span", { class: `badge band-${b.band}` }, b.band)),
        el("td", { class: "num" }, b.renewals ?? 0),
        el("td", { class: "num" }, b.renewed ?? 0),
        el("td", { class: "num" }, b.churned ?? 0),
        el("td", { class: "num" }, b.downgraded ?? 0),
        el("td", { class: "num" }, b.expanded ?? 0),
        el("td", { class: "num" }, Number(b.renewals) > 0 ? percent(lost / Number(b.renewals)) : "–"));
    }) : []);
    show("backtest-empty", ok && !any);
  }

  async function showList(view) {
    show("account-section", false);
    fillForm(view);
    const filters = listQuery(view, {});
    const taskQuery = new URLSearchParams({ status: "open", limit: String(TASKS_PAGE_SIZE) });
    if (view.towner) taskQuery.set("owner", view.towner);
    if (view.tfrom) taskQuery.set("page_token", view.tfrom);
    const [accounts, alerts, renewals, forecast, owners, plans, segments, tasks, nps, retention, backtest] = await Promise.all([
      get("/v1/accounts?" + listQuery(view, { limit: String(PAGE_SIZE), page_token: view.from })),
      get("/v1/alerts?state=open"),
      get("/v1/renewals/upcoming?" + listQuery(view, { within_days: "90", limit: String(RENEWALS_PAGE_SIZE), page_token: view.rfrom })),
      get("/v1/renewals/forecast?months=12" + (filters ? "&" + filters : "")),
      get("/v1/account-groups?group_by=owner"),
      get("/v1/account-groups?group_by=plan"),
      get("/v1/account-groups?group_by=segment"),
      settle("/v1/tasks?" + taskQuery.toString()),
      settle("/v1/feedback/summary?days=90"),
      settle("/v1/retention?months=12"),
      settle(`/v1/backtest?days_before=${backtestDays(view)}&months=12`),
    ]);
    renderAccounts(accounts, view);
    renderAlerts(alerts);
    renderRenewals(renewals, view);
    renderForecast(forecast);
    fillDatalist("owners", owners);
    fillDatalist("plans", plans);
    fillDatalist("segments", segments);
    renderTasks(tasks, view);
    renderNps(nps);
    renderRetention(retention);
    renderBacktest(backtest, view);
    for (const id of LIST_SECTIONS) show(id, true);
  }

  // ---- one account ----

  async function showAccount(view) {
    const base = `/v1/accounts/${encodeURIComponent(view.account)}`;
    const [detail, history, users, tasks, notes, outcomes, model, who] = await Promise.all([
      get(base),
      get(`${base}/history?days=120`),
      get(`${base}/users?days=90`),
      settle(`${base}/tasks`),
      settle(`${base}/notes`),
      settle(`${base}/outcomes`),
      settle("/v1/health-model"),
      whoami(),
    ]);
    for (const id of LIST_SECTIONS) show(id, false);
    document.getElementById("account-back").href = viewHash({ ...view, account: "" });
    document.getElementById("account-heading").textContent = `Account ${detail.account_id}`;
    document.getElementById("as-of").textContent = detail.evaluated_at ? `computed ${formatTime(detail.evaluated_at)}` : "";
    document.getElementById("account-body").replaceChildren(
      ...CairnAccount.render(detail, history, users,
                             { tasks, notes, outcomes, model, api, canWrite: canWrite(who) }));
    show("account-section", true);
  }

  // ---- routing and errors ----

  function askForToken(message, isError) {
    for (const id of [...LIST_SECTIONS, "account-section", "sign-out"]) show(id, false);
    show("token-form", true);
    setState(isError ? "error" : "need-token", message, isError);
    document.getElementById("token-input").focus();
  }

  async function route() {
    if (!token) return;
    const view = readView();
    show("token-form", false);
    show("sign-out", true);
    setState("loading", "Loading…", false);
    whoami();  // at load, alongside the view's own calls
    try {
      if (view.account) await showAccount(view);
      else await showList(view);
      setState("ready", "", false);
      Cairn.markOverflow();
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        Cairn.forgetToken(TOKEN_KEY);
        token = "";
        askForToken("Token refused: the collector did not accept this admin token.", true);
      } else if (error instanceof HttpError && error.status === 404 && view.account) {
        setState("error", `No account "${view.account}" on this collector.`, true);
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
      const typed = document.getElementById("token-input").value.trim();
      if (!typed) return;
      try { sessionStorage.setItem(TOKEN_KEY, typed); } catch (e) { /* storage off */ }
      document.getElementById("token-input").value = "";
      token = typed;
      route();
    });
    document.getElementById("sign-out").addEventListener("click", () => {
      Cairn.forgetToken(TOKEN_KEY);
      token = "";
      askForToken("Token forgotten. Enter an admin token to see the accounts.", false);
    });
    document.getElementById("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      go(formView());
    });
    document.getElementById("f-clear").addEventListener("click", () => go({}));
    document.getElementById("backtest-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      go({ ...readView(), bdays: document.getElementById("b-days").value });
    });
    document.getElementById("tasks-filter").addEventListener("submit", (event) => {
      event.preventDefault();
      go({ ...readView(), towner: document.getElementById("t-owner").value.trim(), tfrom: "" });
    });
    window.addEventListener("hashchange", route);

    // The view is read before the token is taken out of the fragment, then
    // written back without it.
    const view = readView();
    token = Cairn.takeToken(TOKEN_KEY, true) || "";
    history.replaceState(null, "", window.location.pathname + window.location.search + viewHash(view));
    if (token) route();
    else askForToken("Enter an admin token to see the accounts.", false);
  }

  start();
})();
