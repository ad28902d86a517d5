// Human output of the client commands: aligned tables and short summaries,
// built from the server's JSON answers (SPEC §5). Pure: JSON in, text out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/time.h"

namespace madre::cli {

// Columns separated by two spaces, padded to the widest cell, no trailing blanks;
// one line per row, each ending in '\n'.
std::string RenderTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows);

// "4m30s", "hold" (held window without deadline), "-" (unknown or ended).
std::string TtlLeft(const nlohmann::json& window);

// ID, KIND, STATE, MODE, SERVICES, TTL LEFT, REASON for an array of window objects.
std::string RenderWindowsTable(const nlohmann::json& windows);
// GET /madre/power/windows/status: open windows, and the history when asked.
std::string RenderWindowsStatus(const nlohmann::json& body, bool history);
// GET /madre/power/windows/{id}: fields, then SERVICE, STATE, HEALTH, RESTARTS, ERROR.
std::string RenderWindow(const nlohmann::json& window);
// GET /madre/power/status: SERVICE, STATE, HEALTH, RESTARTS, WINDOWS.
std::string RenderServiceStatus(const nlohmann::json& body);
// GET /madre/power/state: the policy line, then the open windows.
std::string RenderState(const nlohmann::json& body);
// Audit records (oldest first as given): SEQ, TIME, ACTOR, ACTION, WINDOW, SERVICES, OUTCOME,
// DETAIL. `header` false leaves out the header line (for --follow).
std::string RenderAudit(const nlohmann::json& records, bool header = true);
std::string RenderSoloMadreStatus(const nlohmann::json& body);
std::string RenderSoloMadreApply(const nlohmann::json& body);
std::string RenderServices(const nlohmann::json& body);
std::string RenderHealth(const nlohmann::json& body);
// One line for open/close/hold/extend answers.
std::string RenderOpened(const nlohmann::json& body);
std::string RenderClosed(const nlohmann::json& body);
std::string RenderHold(const nlohmann::json& body);
std::string RenderExtended(const nlohmann::json& body);

// GET /madre/intents: ID, STATE, TYPE, SOURCE, REQUESTED BY, CREATED, DECIDED BY, REASON
// (or "No intents." when the list is empty).
std::string RenderIntents(const nlohmann::json& body);
// One intent object (GET /madre/intents/{id}, a decision's or a submission's answer): one
// "field: value" line each, the payload last.
std::string RenderIntent(const nlohmann::json& intent);

// GET /madre/builds: ID, SERVICE, OUTCOME, STARTED, DURATION, IMAGE (before -> after, short
// ids), ERROR (or "No builds." when the list is empty).
std::string RenderBuilds(const nlohmann::json& body);
// A diagnosis (GET /madre/autofix/diagnose/{service}): the cause and its confidence, the
// evidence lines, then the remediations best first with their risk.
std::string RenderDiagnosis(const nlohmann::json& body);
// "sha256:0123456789abcdef..." -> "0123456789ab"; "" -> "none".
std::string ShortImageId(const std::string& id);

// The --wait progress block: one line per service and a summary line, e.g.
//   switch   ready
//   hermes   starting (health starting)
//   window 3f2a opening, 4.5s elapsed, TTL left 5m
std::vector<std::string> RenderWaitProgress(const nlohmann::json& window, Duration elapsed);

// "12.3s" with one decimal.
std::string FormatSeconds(Duration d);

}  // namespace madre::cli
