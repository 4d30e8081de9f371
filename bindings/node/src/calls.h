// The synchronous calls of a JS Client: consent, records, local data, stats.
// Each takes the client handle first, runs the cairn_* call on the JS thread
// (all are cheap: a hash lookup, a queue push or one SQLite commit) and
// throws CairnError when it does not return OK.
#ifndef CAIRN_BINDINGS_NODE_CALLS_H_
#define CAIRN_BINDINGS_NODE_CALLS_H_

#include <node_api.h>

namespace cairn_node {

// setConsent(h, {accountId, userId, purpose, granted, policyVersion,
// policyId?, sourceSurface?, expiresAt?, grantSignature?, signedAt?}).
napi_value SetConsent(napi_env env, napi_callback_info info);
// setRenewalNotifications(h, {accountId, userId, allowed, policyVersion,
// sourceSurface?}).
napi_value SetRenewalNotifications(napi_env env, napi_callback_info info);
// getConsent(h, userId, purpose) -> "granted" | "denied" | "unknown".
napi_value GetConsent(napi_env env, napi_callback_info info);
// consentChoices(h, userId) -> [{purpose, decision, policyVersion,
// decidedAt, expiresAt}].
napi_value ConsentChoices(napi_env env, napi_callback_info info);

// recordLogin(h, accountId, userId, method?), recordLogout(h),
// recordSessionEnd(h), recordMilestone(h, name, value?, attributes?).
napi_value RecordLogin(napi_env env, napi_callback_info info);
napi_value RecordLogout(napi_env env, napi_callback_info info);
napi_value RecordSessionEnd(napi_env env, napi_callback_info info);
napi_value RecordMilestone(napi_env env, napi_callback_info info);
// recordFeedback(h, kind 'nps'|'csat', score, comment?, surveyId?).
napi_value RecordFeedback(napi_env env, napi_callback_info info);

// exportLocalData(h, userId) -> JSON string; eraseLocalData(h, userId);
// wireUserId(h, userId) -> string; onNetworkAvailable(h); stats(h) -> object.
napi_value ExportLocalData(napi_env env, napi_callback_info info);
napi_value EraseLocalData(napi_env env, napi_callback_info info);
napi_value WireUserId(napi_env env, napi_callback_info info);
napi_value OnNetworkAvailable(napi_env env, napi_callback_info info);
napi_value Stats(napi_env env, napi_callback_info info);

}  // namespace cairn_node

#endif  // CAIRN_BINDINGS_NODE_CALLS_H_
