// Counters, gauges and histograms rendered in the Prometheus text format
// (GET /metrics). Thread-safe: one mutex; updates are rare next to requests.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace madre {

using MetricLabels = std::map<std::string, std::string>;

class Metrics {
 public:
  // Declares a metric (name, help). Re-declaring is a no-op.
  void DeclareCounter(const std::string& name, const std::string& help);
  void DeclareGauge(const std::string& name, const std::string& help);
  void DeclareHistogram(const std::string& name, const std::string& help,
                        std::vector<double> bounds);

  void Add(const std::string& name, const MetricLabels& labels = {}, double value = 1);
  void Set(const std::string& name, const MetricLabels& labels, double value);
  // Forgets every labelled value of a gauge (before setting the current ones again).
  void Clear(const std::string& name);
  void Observe(const std::string& name, const MetricLabels& labels, double value);
  // A gauge computed at render time (e.g. windows open, host CPU).
  void SetCallback(const std::string& name,
                   std::function<std::vector<std::pair<MetricLabels, double>>()> fn);

  double Value(const std::string& name, const MetricLabels& labels = {}) const;  // counters/gauges
  std::uint64_t Count(const std::string& name,
                      const MetricLabels& labels = {}) const;  // histograms

  std::string RenderText() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Histogram {
    std::vector<std::uint64_t> buckets;  // cumulative at render time
    double sum = 0;
    std::uint64_t count = 0;
  };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> bounds;
    std::map<MetricLabels, double> values;
    std::map<MetricLabels, Histogram> histograms;
    std::function<std::vector<std::pair<MetricLabels, double>>()> callback;
  };
  Family& Get(const std::string& name);

  mutable std::mutex mu_;
  std::map<std::string, Family> families_;  // guarded by mu_
};

}  // namespace madre
