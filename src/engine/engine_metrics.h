// The metric families madre exports (GET /metrics) and their names.
#pragma once

#include "base/metrics.h"

namespace madre {

inline constexpr char kMetricWindowOpens[] = "madre_window_opens_total";
inline constexpr char kMetricWindowCloses[] = "madre_window_closes_total";
inline constexpr char kMetricWindowReady[] = "madre_window_ready_seconds";
inline constexpr char kMetricWindowsOpen[] = "madre_windows_open";
inline constexpr char kMetricCrashLoops[] = "madre_crashloops_total";
inline constexpr char kMetricDockerOps[] = "madre_docker_ops_total";
inline constexpr char kMetricDockerOpSeconds[] = "madre_docker_op_seconds";
inline constexpr char kMetricTtlStopLag[] = "madre_ttl_stop_lag_seconds";
inline constexpr char kMetricHttpRequests[] = "madre_http_requests_total";
inline constexpr char kMetricAuthFailures[] = "madre_auth_failures_total";
inline constexpr char kMetricHostCpu[] = "madre_host_cpu_percent";
inline constexpr char kMetricHostIowait[] = "madre_host_iowait_percent";
inline constexpr char kMetricHostMemory[] = "madre_host_memory_bytes";
inline constexpr char kMetricHostLoad[] = "madre_host_load";
inline constexpr char kMetricStopStrategy[] = "madre_stop_strategy";
inline constexpr char kMetricContainerCpu[] = "madre_container_cpu_percent";
inline constexpr char kMetricContainerMemory[] = "madre_container_memory_bytes";
inline constexpr char kMetricIntents[] = "madre_intents";
inline constexpr char kMetricIntentAdmissionWait[] = "madre_intent_admission_wait_seconds";
inline constexpr char kMetricHealthExecAbandoned[] = "madre_health_exec_abandoned_total";
inline constexpr char kMetricServiceState[] = "madre_service_state";
inline constexpr char kMetricWindowDeadline[] = "madre_window_deadline_timestamp_seconds";

void DeclareMadreMetrics(Metrics& metrics);

}  // namespace madre
