#include "base/metrics.h"

#include <cmath>
#include <cstdio>

#include "base/status.h"

namespace madre {

namespace {

std::string Escape(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string LabelText(const MetricLabels& labels, const std::string& extra_key = "",
                      const std::string& extra_value = "") {
  if (labels.empty() && extra_key.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + Escape(v) + "\"";
  }
  if (!extra_key.empty()) {
    if (!first) out += ",";
    out += extra_key + "=\"" + extra_value + "\"";
  }
  return out + "}";
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

}  // namespace

Metrics::Family& Metrics::Get(const std::string& name) {
  auto it = families_.find(name);
  MADRE_CHECK_MSG(it != families_.end(), "metric " + name + " was not declared");
  return it->second;
}

void Metrics::DeclareCounter(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  families_.try_emplace(name, Family{Kind::kCounter, help, {}, {}, {}, {}});
}

void Metrics::DeclareGauge(const std::string& name, const std::string& help) {
  std::lock_guard<std::mutex> lock(mu_);
  families_.try_emplace(name, Family{Kind::kGauge, help, {}, {}, {}, {}});
}

void Metrics::DeclareHistogram(const std::string& name, const std::string& help,
                               std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  families_.try_emplace(name, Family{Kind::kHistogram, help, std::move(bounds), {}, {}, {}});
}

void Metrics::Add(const std::string& name, const MetricLabels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Get(name).values[labels] += value;
}

void Metrics::Set(const std::string& name, const MetricLabels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Get(name).values[labels] = value;
}

void Metrics::Clear(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Get(name).values.clear();
}

void Metrics::Observe(const std::string& name, const MetricLabels& labels, double value) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = Get(name);
  Histogram& h = family.histograms[labels];
  if (h.buckets.empty()) h.buckets.assign(family.bounds.size(), 0);
  for (std::size_t i = 0; i < family.bounds.size(); ++i) {
    if (value <= family.bounds[i]) ++h.buckets[i];
  }
  h.sum += value;
  ++h.count;
}

void Metrics::SetCallback(const std::string& name,
                          std::function<std::vector<std::pair<MetricLabels, double>>()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  Get(name).callback = std::move(fn);
}

double Metrics::Value(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto v = f->second.values.find(labels);
  return v == f->second.values.end() ? 0 : v->second;
}

std::uint64_t Metrics::Count(const std::string& name, const MetricLabels& labels) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto f = families_.find(name);
  if (f == families_.end()) return 0;
  auto h = f->second.histograms.find(labels);
  return h == f->second.histograms.end() ? 0 : h->second.count;
}

std::string Metrics::RenderText() const {
  // Callbacks run outside the lock: they may read other state.
  std::map<std::string, std::function<std::vector<std::pair<MetricLabels, double>>()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, family] : families_) {
      if (family.callback) callbacks[name] = family.callback;
    }
  }
  std::map<std::string, std::vector<std::pair<MetricLabels, double>>> computed;
  for (const auto& [name, fn] : callbacks) computed[name] = fn();

  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    const char* type = family.kind == Kind::kCounter ? "counter"
                       : family.kind == Kind::kGauge ? "gauge"
                                                     : "histogram";
    out += "# HELP " + name + " " + family.help + "\n# TYPE " + name + " " + type + "\n";
    if (family.kind == Kind::kHistogram) {
      for (const auto& [labels, h] : family.histograms) {
        for (std::size_t i = 0; i < family.bounds.size(); ++i) {
          out += name + "_bucket" + LabelText(labels, "le", Number(family.bounds[i])) + " " +
                 std::to_string(h.buckets[i]) + "\n";
        }
        out += name + "_bucket" + LabelText(labels, "le", "+Inf") + " " + std::to_string(h.count) +
               "\n";
        out += name + "_sum" + LabelText(labels) + " " + Number(h.sum) + "\n";
        out += name + "_count" + LabelText(labels) + " " + std::to_string(h.count) + "\n";
      }
      continue;
    }
    std::map<MetricLabels, double> values = family.values;
    if (auto c = computed.find(name); c != computed.end()) {
      for (const auto& [labels, v] : c->second) values[labels] = v;
    }
    for (const auto& [labels, v] : values) out += name + LabelText(labels) + " " + Number(v) + "\n";
  }
  return out;
}

}  // namespace madre
